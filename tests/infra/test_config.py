"""The infrastructure's configuration: infra/states.yaml, overridden by CDK context."""

from __future__ import annotations

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
