"""The infrastructure's configuration: infra/states.yaml, overridden by CDK context."""

from __future__ import annotations

import re

import pytest
from humangov_infra.config import InfraConfigError, load, parse_states

from tests.infra.conftest import INFRA  # noqa: F401  (puts infra/ on sys.path)


def test_all_fifty_states_are_provisioned_by_default():
    config = load()
    assert len(config.states) == 50 and config.states[0] == "AL"


def test_context_overrides_the_file_so_adding_a_state_is_a_config_change():
    context = {"states": "ca, tx,CA", "object_lock": "true", "domain": "hr.example.gov"}
    config = load(context.get)
    assert config.states == ("CA", "TX")
    assert config.object_lock is True
    assert config.host_name("CA") == "ca.hr.example.gov"
    assert config.table_name("TX") == "humangov-tx-records"
    assert config.bucket_name("TX") == "humangov-tx-documents"


@pytest.mark.parametrize("value, message", [
    ("CA,XX", "'XX' is not a US state"),
    (",", "the list is empty"),
])
def test_a_bad_state_list_is_refused_with_what_to_write_instead(value, message):
    with pytest.raises(InfraConfigError, match=message) as info:
        parse_states(value)
    assert "USPS codes such as CA,TX" in str(info.value)


def test_chatbot_without_its_slack_ids_is_refused():
    with pytest.raises(InfraConfigError, match="chatbot_workspace_id and chatbot_channel_id"):
        load({"chatbot": "true"}.get)


def test_an_unknown_setting_in_the_file_is_refused(tmp_path):
    path = tmp_path / "states.yaml"
    path.write_text("domain: x.gov\nstaets: CA\n")
    with pytest.raises(InfraConfigError, match="unknown setting.*staets"):
        load(path=path)


def test_canaries_run_every_five_minutes_unless_a_state_says_otherwise():
    config = load({"states": "CA,TX,NY", "canary_every_per_state": '{"ca": "1m", "NY": "1h"}'}.get)
    assert [config.canary_minutes(s) for s in ("CA", "TX", "NY")] == [1, 5, 60]
    assert load({"canary_every": "15"}.get).canary_minutes("TX") == 15


@pytest.mark.parametrize("context, message", [
    ({"canary_every": "0m"}, "canary_every: '0m' is outside 1m to 1h"),
    ({"canary_every": "2h"}, "canary_every: '2h' is outside 1m to 1h"),
    ({"canary_every": "often"}, "canary_every: expected minutes such as 5, 5m or 1h"),
    ({"states": "CA", "canary_every_per_state": '{"TX": "1m"}'},
     "canary_every_per_state: TX is not among the deployed states"),
    ({"canary_every_per_state": '{"CA": "30s"}'}, "canary_every_per_state.CA: expected minutes"),
])
def test_a_canary_schedule_synthetics_cannot_run_is_refused(context, message):
    with pytest.raises(InfraConfigError, match=re.escape(message)):
        load(context.get)


def test_the_days_a_retention_item_may_be_late_are_configurable():
    assert load(context={"domain": "hr.example.gov"}.get) \
        .retention_late_days == 2
    context = {"domain": "hr.example.gov", "retention_late_days": "5"}
    assert load(context=context.get).retention_late_days == 5
