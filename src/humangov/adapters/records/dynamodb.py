"""The DynamoDB RecordStore: one table per state, the states registry in the platform table.

Item design (see aws/provision.py for the table and its indexes):

- employee `pk=EMP#<id>, sk=A`, with `kind=EMP` and `lk`, the folded (last, first, id) sort key;
- history `pk=EMP#<id>, sk=H#<version>#<ns>`, so one Query reads an employee's history in order;
- GSI `by_name (kind, lk)` serves `iter_employees`, GSI `by_doc (kind, doc_key)` serves the
  sweep's key-ordered walk of document references;
- list items (`kind=LIST`, eight per employee) and the counts (`listed` on the counter item,
  one item per role), written in the employee's transaction: every order, a role's list and
  `total` (one GetItem); see `humangov.adapters.records.dynamo_lists`;
- the employee-number counter `pk=NUMBERS, sk=A` (no `kind`, so no index holds it and the
  stream Lambda ignores it): an atomic ADD claims numbers before the employees are written, so
  a number is never issued twice; a write that then fails leaves a gap, never a repeat.
- search entry `pk=SRCH#<class>#<first letter>, sk=<word>\x01<lk>`, with `kind=SRCH`, one per
  (class, word) of `humangov.adapters.records.search`, written in the transaction that writes
  the employee. A search Queries the driving word's prefix (`begins_with(sk, :w)`), in result
  order, and reads the page's employees by key: about twice the page size in items. Entries
  carry the employee's words, so other query words filter without reading the employee. Their
  kind is not EMP: the stream and the listing indexes ignore them.

Trade-offs, on purpose:
- Both GSIs, and each list, put a state's employees under one partition value. A state's
  personnel is small (thousands to a few hundred thousand items, low write rate), well inside
  one partition's throughput; in exchange a list page and the sweep are single ordered
  Queries, not Scan + sort.
- Lists are items, not GSIs: a GSI serves one order and cannot narrow to a role in another
  order, CloudFormation adds one GSI per stack update, and GSI reads are eventually consistent
  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Reads). List
  items are read strongly consistent, so a just-written employee is listed at once. The cost
  is on writes: eight list items (about 1 KB each) and up to three counter updates ride in
  every employee transaction, and the counter item makes a state's writes contend: two
  transactions touching it at once cancel one (TransactionConflict), which answers a retry.
  `is_referenced`, which guards every erasure, is a strongly consistent GetItem: our keys
  start with the employee id.
- The change feed is the table's stream, not an outbox. A REMOVE image only holds the item as
  it was, so before deleting an employee with a document we stamp who removes it and why
  (one extra conditional write), and the stream Lambda reads that stamp.
- Employees written before list items existed are listed and counted once `humangov
  employees reindex` has run (`rebuild_search_index`).
- Transactions hold at most 100 actions. A bulk add larger than that is validated up front,
  written in chunks of whole employees (each chunk with its counter updates), and rolled back
  by deletes and reversed counts if a chunk fails.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from humangov.adapters.aws.naming import Naming
from humangov.adapters.aws.provision import TTL_ATTRIBUTE
from humangov.adapters.clock import SystemClock
from humangov.adapters.dynamo_items import code, from_item, query_all, to_item, translating
from humangov.adapters.records import apply_import_in_steps, keyset, numbered, search
from humangov.adapters.records import dynamo_lists as lists
from humangov.adapters.records.dynamo_lists import SEP, listing_key
from humangov.adapters.timecodec import from_text, to_text
from humangov.domain.errors import Conflict, NotFound
from humangov.domain.model import DocumentRef, Employee, FieldChange, HistoryEntry, check_version
from humangov.domain.states import State
from humangov.ports import NAME_ORDER, SORTS, Clock, ImportBatch, Order, Page

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, WriteRequestUnionTypeDef

    from humangov.adapters.aws.clients import AwsClients

TRANSACTION_ITEMS = 100  # AWS's limit, and moto's
EMPLOYEE_SK = "A"
NUMBERS_KEY = lists.counter_key(None)
Moves = dict[tuple[str, str], tuple[int, int]]  # (table, counter sk) -> (listed, synthetic)


def emp_pk(employee_id: str) -> str:
    return f"EMP#{employee_id}"


class DynamoDBRecordStore:
    def __init__(self, clients: AwsClients, naming: Naming, platform_table: str,
                 clock: Clock | None = None,
                 provisioner: Callable[[str], None] | None = None) -> None:
        self.clients = clients
        self.naming = naming
        self.platform_table = platform_table
        self.clock = clock or SystemClock()
        self.provisioner = provisioner  # creates the state's table and bucket when added
        self._seq = itertools.count()

    @property
    def _ddb(self) -> DynamoDBClient:
        return self.clients.dynamodb

    def ping(self) -> None:
        with translating("The records store"):
            self._ddb.describe_table(TableName=self.platform_table)

    def change_token(self) -> None:
        # No cheap, global "something changed" signal here: callers must not cache.
        return None

    # states -------------------------------------------------------------------------------
    def list_states(self) -> list[State]:
        with translating("The states registry"):
            items = query_all(self._ddb, TableName=self.platform_table, ConsistentRead=True,
                              KeyConditionExpression="pk = :p",
                              ExpressionAttributeValues={":p": {"S": "STATE"}})
            return [State(i["sk"]["S"], i["name"]["S"]) for i in items]

    def add_state(self, state: State) -> bool:
        if self.provisioner is not None:
            self.provisioner(state.code)
        with translating("The states registry"):
            try:
                self._ddb.put_item(
                    TableName=self.platform_table, ConditionExpression="attribute_not_exists(pk)",
                    Item=to_item({"pk": "STATE", "sk": state.code, "name": state.name,
                                  "created_at": to_text(self.clock.now())}))
            except ClientError as exc:
                if code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
        return True

    def _is_registered(self, state: str) -> bool:
        with translating("The states registry"):
            got = self._ddb.get_item(TableName=self.platform_table, ConsistentRead=True,
                                     Key=to_item({"pk": "STATE", "sk": state}))
        return "Item" in got

    def remove_state(self, code_: str, actor: str) -> int:
        if not self._is_registered(code_):
            return 0
        table = self.naming.table(code_)
        removed = 0
        with translating("The records store"):
            try:
                items = list(query_all(self._ddb, _op="scan", TableName=table, ConsistentRead=True,
                                       ProjectionExpression="pk, sk, kind, doc_key"))
            except ClientError as exc:
                if code(exc) != "ResourceNotFoundException":
                    raise
                items = []
            for item in items:
                if item.get("kind", {}).get("S") == "EMP":
                    removed += 1
                    if "doc_key" in item:
                        self._stamp_removal(table, item["pk"]["S"], None, "state-offboarded", actor)
            self._batch_delete(table, [{"pk": i["pk"], "sk": i["sk"]} for i in items])
            # The registry entry goes last: if we crash midway, removing again finishes the job.
            self._ddb.delete_item(TableName=self.platform_table,
                                  Key=to_item({"pk": "STATE", "sk": code_}))
        return removed

    # employees ----------------------------------------------------------------------------
    def add_employee(self, employee: Employee, entry: HistoryEntry) -> Employee:
        return self.add_employees([employee], [entry])[0]

    def add_employees(self, employees: list[Employee],
                      entries: list[HistoryEntry]) -> list[Employee]:
        if not employees and not entries:
            return []
        for state in sorted({e.state for e in employees} | {h.state for h in entries}):
            if not self._is_registered(state):
                raise NotFound(f"The state {state} is not provisioned in this HumanGov.")
        ids = [e.id for e in employees]
        if len(set(ids)) != len(ids):
            raise Conflict("The same employee id appears twice in one batch.")
        employees = self._numbered(employees)
        versions = {e.id: e.version for e in employees}
        histories: dict[str, list[TransactWriteItemTypeDef]] = {}
        for h in entries:
            histories.setdefault(h.employee_id, []).append({"Put": {
                "TableName": self.naming.table(h.state),
                "Item": self._history_item(h, versions.get(h.employee_id, 0))}})
        groups: list[tuple[Employee | None, list[TransactWriteItemTypeDef]]] = []
        for e in employees:
            table = self.naming.table(e.state)
            group: list[TransactWriteItemTypeDef] = [
                {"Put": {"TableName": table, "Item": _employee_item(e),
                         "ConditionExpression": "attribute_not_exists(pk)"}}]
            group += histories.pop(e.id, [])
            group += [{"Put": {"TableName": table, "Item": item}}
                      for item in (*_list_items(e), *_search_items(e))]
            groups.append((e, group))
        groups += [(None, [put]) for puts in histories.values() for put in puts]
        written: list[tuple[list[TransactWriteItemTypeDef], Moves]] = []
        try:
            for chunk, moves in self._chunks(groups):
                self._transact(chunk, conflict=lambda: Conflict(
                    "An employee with this id already exists."))
                written.append((chunk, moves))
        except BaseException:
            self._rollback(written)
            raise
        return employees

    def _chunks(self, groups: list[tuple[Employee | None, list[TransactWriteItemTypeDef]]]
                ) -> Iterator[tuple[list[TransactWriteItemTypeDef], Moves]]:
        """Transactions of whole employees (each with its items), each ending with the
        updates of the counters its employees move."""
        actions: list[TransactWriteItemTypeDef] = []
        moves: Moves = {}
        for e, group in groups:
            more = self._moves(None, e)
            merged = dict(moves)
            lists.merge(merged, more)
            if actions and len(actions) + len(group) + len(merged) > TRANSACTION_ITEMS:
                yield actions + _counter_updates(moves), moves
                actions, merged = [], more
            actions += group
            moves = merged
        if actions:
            yield actions + _counter_updates(moves), moves

    def _moves(self, before: Employee | None, after: Employee | None) -> Moves:
        either = after or before
        if either is None:
            return {}
        table = self.naming.table(either.state)
        return {(table, sk): move for sk, move in lists.count_changes(before, after).items()}

    def apply_import(self, state: str, batches: Iterable[ImportBatch], actor: str) -> None:
        apply_import_in_steps(self, state, batches, actor)

    def load_employees(self, employees: list[Employee], entries: list[HistoryEntry]) -> None:
        """BatchWriteItem, 25 items a call: half the write units of a transaction, and no
        condition, so the caller must know the employees are new (adoption checks)."""
        if not employees and not entries:
            return
        for state in sorted({e.state for e in employees} | {h.state for h in entries}):
            if not self._is_registered(state):
                raise NotFound(f"The state {state} is not provisioned in this HumanGov.")
        employees = self._numbered(employees)
        versions = {e.id: e.version for e in employees}
        puts = [(self.naming.table(e.state), _employee_item(e)) for e in employees]
        puts += [(self.naming.table(h.state), self._history_item(h, versions.get(h.employee_id, 0)))
                 for h in entries]
        puts += [(self.naming.table(e.state), item) for e in employees
                 for item in (*_list_items(e), *_search_items(e))]
        moves: Moves = {}
        for e in employees:
            lists.merge(moves, self._moves(None, e))
        with translating("The records store"):
            for start in range(0, len(puts), 25):
                requests: dict[str, list[WriteRequestUnionTypeDef]] = {}
                for table, item in puts[start:start + 25]:
                    requests.setdefault(table, []).append({"PutRequest": {"Item": item}})
                self._batch_write(requests)
            for update in _counter_updates(moves):
                self._ddb.update_item(**update["Update"])

    def get_employee(self, state: str, employee_id: str) -> Employee | None:
        item = self._get(state, employee_id)
        return _employee(item) if item is not None else None

    def list_employees(
        self, state: str, *, q: str | None, limit: int, cursor: str | None,
        include_synthetic: bool = True, ordering: Order = NAME_ORDER, separated: bool = False,
    ) -> Page:
        if q:
            return self._search(state, q, limit, cursor, include_synthetic)
        return keyset.ordered_page(self._rows(state, include_synthetic, separated), ordering,
                                   cursor, limit, SORTS)

    def supported_sorts(self) -> tuple[str, ...]:
        return SORTS

    def count_employees(self, state: str, *, role: str | None = None,
                        include_synthetic: bool = True) -> int:
        """One GetItem: the counter item (or the role's) the employees' transactions keep."""
        with translating("The records store"):
            try:
                got = self._ddb.get_item(TableName=self.naming.table(state),
                                         Key=lists.counter_key(role or None), ConsistentRead=True,
                                         ProjectionExpression="listed, listed_synthetic")
            except ClientError as exc:
                if code(exc) == "ResourceNotFoundException":
                    return 0
                raise
        item = got.get("Item", {})
        listed = int(item.get("listed", {}).get("N", 0))
        return listed - (0 if include_synthetic else int(item.get("listed_synthetic", {})
                                                          .get("N", 0)))

    def _search(self, state: str, q: str, limit: int, cursor: str | None,
                include_synthetic: bool) -> Page:
        query_words = search.words(q)

        def read(cls: int, after: search.Position | None, n: int) -> Iterator[search.Position]:
            lead = search.driving_word(query_words)
            for item in self._search_entries(state, cls, lead, after, n):
                words = [_entry(w) for w in item["words"]["SS"]]
                position = search.Position(cls, *item["sk"]["S"].split(SEP))
                if ((include_synthetic or not item.get("synthetic", {}).get("BOOL"))
                        and search.is_first_entry(words, query_words, position[:2])):
                    yield position

        found = search.collect(cursor, query_words, limit, read)
        people = self._get_many(state, [p.id for p in found])
        return search.page_of([(p, people[p.id]) for p in found if p.id in people], limit,
                              itemgetter(0), itemgetter(1))

    def _search_entries(self, state: str, cls: int, word: str, after: search.Position | None,
                        page_size: int) -> Iterator[dict]:
        """A class's entries whose word begins with `word`, in result order, from `after`."""
        values = {":p": {"S": _search_pk(cls, word)}}
        if after is None:
            condition = "pk = :p AND begins_with(sk, :w)"
            values[":w"] = {"S": word}
        else:
            # One sort-key condition per Query: seek past the cursor, stop at the prefix's end.
            condition = "pk = :p AND sk > :after"
            values[":after"] = {"S": SEP.join(after[1:])}
        items = self._query_table(state, condition, values, page_size)
        yield from itertools.takewhile(lambda i: i["sk"]["S"].startswith(word), items)

    def _get_many(self, state: str, ids: list[str]) -> dict[str, Employee]:
        """The employees with these ids, by key (strongly consistent), 100 a call."""
        table, people = self.naming.table(state), {}
        with translating("The records store"):
            for start in range(0, len(ids), 100):
                request: dict = {table: {"Keys": [_key(i) for i in ids[start:start + 100]],
                                         "ConsistentRead": True}}
                while request:
                    got = self._ddb.batch_get_item(RequestItems=request)
                    for item in got.get("Responses", {}).get(table, []):
                        if item.get("state", {}).get("S") == state:
                            people[item["id"]["S"]] = _employee(item)
                    request = got.get("UnprocessedKeys") or {}
        return people

    def rebuild_search_index(self, state: str) -> int:
        """Write every employee's search entries and list items, and set the counts from
        them (idempotent): for employees written before these existed. A write meanwhile can
        leave a count off by its move; running it again on a quiet state sets them right.
        Returns how many employees were indexed."""
        table, count = self.naming.table(state), 0
        moves: dict[str, tuple[int, int]] = {}
        with translating("The records store"):
            people = self.iter_employees(state)
            while batch := list(itertools.islice(people, 500)):
                items = [item for e in batch for item in (*_search_items(e), *_list_items(e))]
                for start in range(0, len(items), 25):
                    self._batch_write({table: [{"PutRequest": {"Item": i}}
                                               for i in items[start:start + 25]]})
                for e in batch:
                    lists.merge(moves, lists.count_changes(None, e))
                count += len(batch)
            counters = self._query_table(state, "pk = :p", {":p": {"S": lists.COUNTER_PK}},
                                         1000, ConsistentRead=True, ProjectionExpression="sk")
            for sk in {i["sk"]["S"] for i in counters} | set(moves):
                listed, synthetic = moves.get(sk, (0, 0))
                self._ddb.update_item(
                    TableName=table, Key={"pk": {"S": lists.COUNTER_PK}, "sk": {"S": sk}},
                    UpdateExpression="SET listed = :n, listed_synthetic = :s",
                    ExpressionAttributeValues={":n": {"N": str(listed)},
                                               ":s": {"N": str(synthetic)}})
        return count

    def iter_employees(self, state: str) -> Iterator[Employee]:
        yield from self._by_name(state, None, 500)

    def update_employee(
        self, employee: Employee, expected_version: int, entry: HistoryEntry,
        reason: str = "document-replaced",
    ) -> None:
        table = self.naming.table(employee.state)
        item = _employee_item(employee)
        item["updated_by"] = {"S": entry.actor}  # the stream Lambda's actor for a replaced document
        # The entries to drop are those of the version read here; the condition on the version
        # refuses the whole transaction if another write came between.
        current = self._get(employee.state, employee.id)
        before = _employee(current) if current is not None else None
        new_items = [*_search_items(employee), *_list_items(employee)]
        kept = {(i["pk"]["S"], i["sk"]["S"]) for i in new_items}
        stale = [k for k in (*_search_keys(before), *lists.keys(before))
                 if (k["pk"]["S"], k["sk"]["S"]) not in kept] if before is not None else []
        item["change_reason"] = {"S": reason}  # and its reason
        actions: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "version = :v",
                     "ExpressionAttributeValues": {":v": {"N": str(expected_version)}}}},
            {"Put": {"TableName": table, "Item": self._history_item(entry, employee.version)}},
        ]
        actions += [{"Delete": {"TableName": table, "Key": k}} for k in stale]
        actions += [{"Put": {"TableName": table, "Item": i}} for i in new_items]
        actions += _counter_updates(self._moves(before, employee))
        self._transact(actions, conflict=lambda: self._why_refused(
            employee.state, employee.id, expected_version))

    def delete_employee(
        self, state: str, employee_id: str, actor: str, expected_version: int | None = None,
        *, reason: str = "record-deleted",
    ) -> Employee:
        item = self._get(state, employee_id)
        if item is None:
            raise NotFound(f"There is no employee {employee_id} in {state}.")
        employee = _employee(item)
        check_version(employee_id, expected_version, employee.version)
        table = self.naming.table(state)
        with translating("The records store"):
            try:
                if employee.document is not None:
                    self._stamp_removal(table, emp_pk(employee_id), employee.version,
                                        reason, actor)
            except ClientError as exc:
                if code(exc) == "ConditionalCheckFailedException":
                    raise self._why_refused(state, employee_id, employee.version) from exc
                raise
        actions: list[TransactWriteItemTypeDef] = [
            {"Delete": {"TableName": table, "Key": _key(employee_id),
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(employee.version)}}}}]
        actions += [{"Delete": {"TableName": table, "Key": k}}
                    for k in (*_search_keys(employee), *lists.keys(employee))]
        actions += _counter_updates(self._moves(employee, None))
        self._transact(actions, conflict=lambda: self._why_refused(
            state, employee_id, employee.version))
        with translating("The records store"):
            history = query_all(self._ddb, TableName=table, ProjectionExpression="pk, sk",
                                KeyConditionExpression="pk = :p AND begins_with(sk, :h)",
                                ExpressionAttributeValues={":p": {"S": emp_pk(employee_id)},
                                                           ":h": {"S": "H#"}})
            self._batch_delete(table, list(history))
        return employee

    def set_expiry(self, state: str, employee_id: str, at: datetime | None) -> bool:
        """Sets (or, with None, removes) the TTL attribute of the item and its list items:
        DynamoDB deletes each some time after `at` (separated employees are not counted, so
        the counts stay), and the stream's REMOVE erases its document."""
        update = (f"SET {TTL_ATTRIBUTE} = :t" if at is not None else f"REMOVE {TTL_ATTRIBUTE}")
        kwargs: dict = {"ConditionExpression": "attribute_exists(pk)"}
        if at is not None:
            kwargs["ExpressionAttributeValues"] = {":t": {"N": str(int(at.timestamp()))}}
        current = self._get(state, employee_id)
        if current is None:
            return False
        table = self.naming.table(state)
        with translating("The records store"):
            try:
                self._ddb.update_item(TableName=table, Key=_key(employee_id),
                                      UpdateExpression=update, **kwargs)
            except ClientError as exc:
                if code(exc) in ("ConditionalCheckFailedException", "ResourceNotFoundException"):
                    return False
                raise
            for key in lists.keys(_employee(current)):
                try:
                    self._ddb.update_item(TableName=table, Key=key, UpdateExpression=update,
                                          **kwargs)
                except ClientError as exc:
                    if code(exc) != "ConditionalCheckFailedException":
                        raise  # absent (written before list items, not reindexed): no expiry
        return True

    def history(self, state: str, employee_id: str) -> list[HistoryEntry]:
        with translating("The records store"):
            try:
                items = list(query_all(
                    self._ddb, TableName=self.naming.table(state), ConsistentRead=True,
                    KeyConditionExpression="pk = :p AND begins_with(sk, :h)",
                    ExpressionAttributeValues={":p": {"S": emp_pk(employee_id)},
                                               ":h": {"S": "H#"}}))
            except ClientError as exc:
                if code(exc) == "ResourceNotFoundException":
                    return []
                raise
        return [_history(from_item(i)) for i in items]

    # erasure support ----------------------------------------------------------------------
    def iter_document_refs(self, state: str) -> Iterator[tuple[str, str]]:
        for item in self._query_index(state, "by_doc", "kind = :k", {":k": {"S": "EMP"}}, 1000):
            yield item["doc_key"]["S"], item["pk"]["S"].removeprefix("EMP#")

    def iter_document_key_chunks(self, state: str, *, start: str | None = None,
                                 stop: str | None = None) -> Iterator[list[str]]:
        # One index page at a time already. A key condition takes one range operator on the
        # sort key (BETWEEN is inclusive), so seek to start and stop reading at stop.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.KeyConditionExpressions.html
        condition, values = "kind = :k", {":k": {"S": "EMP"}}
        if start is not None:
            condition += " AND doc_key >= :s"
            values[":s"] = {"S": start}
        elif stop is not None:
            condition += " AND doc_key < :e"
            values[":e"] = {"S": stop}
        items = self._query_index(state, "by_doc", condition, values, 1000)
        refs = itertools.takewhile(lambda key: stop is None or key < stop,
                                   (item["doc_key"]["S"] for item in items))
        while chunk := list(itertools.islice(refs, 1000)):
            yield chunk

    def document_owners(self, state: str, keys: list[str]) -> list[tuple[str, str]]:
        owners = []
        for key in sorted(set(keys)):  # the sweep asks for a few: those of missing files
            for item in self._query_index(state, "by_doc", "kind = :k AND doc_key = :d",
                                          {":k": {"S": "EMP"}, ":d": {"S": key}}, 100):
                owners.append((key, item["pk"]["S"].removeprefix("EMP#")))
        return sorted(owners)

    def is_referenced(self, state: str, key: str) -> bool:
        # Strongly consistent for our layout (<employee id>/<document id>.pdf) ...
        owner = self._get(state, key.split("/", 1)[0])
        if owner is not None and owner.get("doc_key", {}).get("S") == key:
            return True
        # ... and the index as a fallback for keys laid out otherwise (e.g. imported).
        found = self._query_index(state, "by_doc", "kind = :k AND doc_key = :d",
                                  {":k": {"S": "EMP"}, ":d": {"S": key}}, 1)
        return next(iter(found), None) is not None

    # helpers ------------------------------------------------------------------------------
    def _get(self, state: str, employee_id: str) -> dict | None:
        with translating("The records store"):
            try:
                got = self._ddb.get_item(TableName=self.naming.table(state), Key=_key(employee_id),
                                         ConsistentRead=True)
            except ClientError as exc:
                if code(exc) in ("ResourceNotFoundException", "ValidationException"):
                    return None
                raise
        item = got.get("Item")
        if item is None or item.get("state", {}).get("S") != state:
            return None
        return item

    def _by_name(self, state: str, after: str | None, page_size: int) -> Iterator[Employee]:
        condition, values = "kind = :k", {":k": {"S": "EMP"}}
        if after is not None:
            condition += " AND lk > :after"
            values[":after"] = {"S": after}
        for item in self._query_index(state, "by_name", condition, values, page_size):
            yield _employee(item)

    def _rows(self, state: str, include_synthetic: bool, separated: bool = False) -> keyset.Rows:
        """One Query of the list's partition from the position, either way: n items, more
        only for hidden synthetic records (filtered here, as the page must skip them)."""
        def rows(order: Order, position: keyset.Position | None, back: bool,
                 n: int) -> list[Employee]:
            forward = back == order.descending
            condition = "pk = :p"
            values = {":p": {"S": lists.partition(order.sort, separated, order.role)}}
            if position is not None:
                condition += f" AND sk {'>' if forward else '<'} :at"
                values[":at"] = {"S": lists.sort_key(order.sort, *position.key)}
            items = self._query_table(state, condition, values, n, ScanIndexForward=forward,
                                      ConsistentRead=True)
            chosen = (e for e in (_employee(i["e"]["M"]) for i in items)
                      if include_synthetic or not e.synthetic)
            return list(itertools.islice(chosen, n))
        return rows

    def _numbered(self, employees: list[Employee]) -> list[Employee]:
        """Numbered by one atomic ADD on each state's counter."""
        def claim(state: str, n: int) -> int:
            got = self._ddb.update_item(
                TableName=self.naming.table(state), Key=NUMBERS_KEY,
                UpdateExpression="ADD last_number :n",
                ExpressionAttributeValues={":n": {"N": str(n)}}, ReturnValues="UPDATED_NEW")
            return int(got["Attributes"]["last_number"]["N"])
        with translating("The records store"):
            return numbered(employees, claim)

    def _query_index(self, state: str, index: str, condition: str, values: dict,
                     page_size: int, **options: object) -> Iterator[dict]:
        yield from self._query_table(state, condition, values, page_size, IndexName=index,
                                     **options)

    def _query_table(self, state: str, condition: str, values: dict, page_size: int,
                     **options: object) -> Iterator[dict]:
        with translating("The records store"):
            try:
                yield from query_all(self._ddb, TableName=self.naming.table(state),
                                     KeyConditionExpression=condition,
                                     ExpressionAttributeValues=values,
                                     PaginationConfig={"PageSize": page_size}, **options)
            except ClientError as exc:
                if code(exc) != "ResourceNotFoundException":
                    raise

    def _stamp_removal(self, table: str, pk: str, version: int | None, reason: str,
                       actor: str) -> None:
        """Record on the item who removes it and why: the REMOVE stream image carries it."""
        kwargs: dict = {"ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":a": {"S": actor}, ":r": {"S": reason}}}
        if version is not None:
            kwargs["ConditionExpression"] += " AND version = :v"
            kwargs["ExpressionAttributeValues"][":v"] = {"N": str(version)}
        self._ddb.update_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": EMPLOYEE_SK}},
                              UpdateExpression="SET removed_by = :a, removal_reason = :r", **kwargs)

    def _batch_delete(self, table: str, keys: list[dict]) -> None:
        for start in range(0, len(keys), 25):
            self._batch_write(
                {table: [{"DeleteRequest": {"Key": k}} for k in keys[start:start + 25]]})

    def _batch_write(self, requests: Mapping[str, Sequence[WriteRequestUnionTypeDef]]) -> None:
        """One BatchWriteItem, its unprocessed items sent again until none are left."""
        while requests:
            unprocessed = self._ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems")
            requests = unprocessed or {}
            if requests:
                time.sleep(0.05)

    def _transact(self, actions: Sequence[TransactWriteItemTypeDef],
                  conflict: Callable[[], Exception]) -> None:
        with translating("The records store"):
            try:
                self._ddb.transact_write_items(TransactItems=actions)
            except ClientError as exc:
                if code(exc) == "ResourceNotFoundException":
                    raise NotFound(
                        "The state is not provisioned in this HumanGov; add it first."
                    ) from exc
                if code(exc) == "TransactionCanceledException" and _condition_failed(exc):
                    raise conflict() from exc
                raise

    def _rollback(self, written: list[tuple[list[TransactWriteItemTypeDef], Moves]]) -> None:
        """Undo the chunks of a failed bulk add, their counts too: their documents become
        orphans, which the stream erases."""
        by_table: dict[str, list[dict]] = {}
        for actions, moves in written:
            for action in actions:
                if "Put" in action:
                    put = action["Put"]
                    by_table.setdefault(put["TableName"], []).append(
                        {"pk": put["Item"]["pk"], "sk": put["Item"]["sk"]})
            with translating("The records store"):
                for update in _counter_updates({k: (-a, -b) for k, (a, b) in moves.items()}):
                    self._ddb.update_item(**update["Update"])
        with translating("The records store"):
            for table, keys in by_table.items():
                self._batch_delete(table, keys)

    def _why_refused(self, state: str, employee_id: str, expected_version: int) -> Exception:
        """The error a failed `version = :v` condition stands for, read back after the fact.
        A stale version raises StaleVersion here, through the domain's rule."""
        item = self._get(state, employee_id)
        if item is None:
            return NotFound(f"There is no employee {employee_id} in {state}.")
        check_version(employee_id, expected_version, int(item["version"]["N"]))
        # The version matches again (deleted and re-added meanwhile): the write met another.
        return Conflict(f"Employee {employee_id} changed while this change was saved; retry it.")

    def _history_item(self, entry: HistoryEntry, version: int) -> dict:
        return to_item({
            "pk": emp_pk(entry.employee_id),
            "sk": f"H#{version:010d}#{time.time_ns():020d}{next(self._seq):06d}",
            "employee_id": entry.employee_id, "state": entry.state, "action": entry.action,
            "actor": entry.actor, "at": to_text(entry.at),
            "changes": [[c.field, c.old, c.new] for c in entry.changes],
        })


def _condition_failed(exc: ClientError) -> bool:
    reasons = exc.response.get("CancellationReasons") or []
    if reasons:
        return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
    return "ConditionalCheckFailed" in str(exc)


def _key(employee_id: str) -> dict:
    return {"pk": {"S": emp_pk(employee_id)}, "sk": {"S": EMPLOYEE_SK}}


def _employee_item(e: Employee) -> dict:
    doc = e.document
    return to_item({
        "pk": emp_pk(e.id), "sk": EMPLOYEE_SK, "kind": "EMP",
        "lk": listing_key(e.last_name, e.first_name, e.id),
        "id": e.id, "state": e.state, "first_name": e.first_name, "last_name": e.last_name,
        "role": e.role, "salary": e.salary,
        "doc_id": doc.id if doc else None, "doc_key": doc.key if doc else None,
        "doc_size": doc.size if doc else None, "doc_sha256": doc.sha256 if doc else None,
        "created_at": to_text(e.created_at), "updated_at": to_text(e.updated_at),
        "version": e.version, "synthetic": e.synthetic, "number": e.number,
        "separated_on": e.separated_on.isoformat() if e.separated_on else None,
        "separation_reason": e.separation_reason,
    })


def _list_items(e: Employee) -> list[dict]:
    attributes = {k: v for k, v in _employee_item(e).items() if k not in ("pk", "sk", "kind", "lk")}
    return lists.items(e, attributes)


def _counter_updates(moves: Moves) -> list[TransactWriteItemTypeDef]:
    return [{"Update": lists.counter_update(table, sk, move)}  # type: ignore[typeddict-item]
            for (table, sk), move in moves.items()]


def _search_pk(cls: int, word: str) -> str:
    return f"SRCH#{cls}#{word[0]}"  # spread over a class's first letters


def _search_keys(e: Employee) -> list[dict]:
    lk = listing_key(e.last_name, e.first_name, e.id)
    return [{"pk": {"S": _search_pk(cls, word)}, "sk": {"S": f"{word}{SEP}{lk}"}}
            for cls, word in search.employee_entries(e)]


def _search_items(e: Employee) -> list[dict]:
    words = {f"{cls}{word}" for cls, word in search.employee_entries(e)}
    return [{**key, **to_item({"kind": "SRCH", "words": words, "synthetic": e.synthetic})}
            for key in _search_keys(e)]


def _entry(text: str) -> tuple[int, str]:
    """A search entry as `_search_items` stores it in `words`: its class digit, then the word."""
    return int(text[0]), text[1:]


def document_of(image: dict) -> DocumentRef | None:
    """The document reference of an employee item (plain values), or None. Used by the stream."""
    if not image.get("doc_key"):
        return None
    size = image.get("doc_size")
    return DocumentRef(str(image.get("doc_id") or ""), image["doc_key"],
                       int(size) if size is not None else 0, str(image.get("doc_sha256") or ""))


def _employee(item: dict) -> Employee:
    v = from_item(item)
    return Employee(
        v["id"], v["state"], v["first_name"], v["last_name"], v["role"],
        Decimal(v["salary"]).quantize(Decimal("0.01")), document_of(v),
        from_text(v["created_at"]), from_text(v["updated_at"]), int(v["version"]),
        bool(v.get("synthetic", False)), int(v.get("number", 0)),  # 0: stored before numbers
        date.fromisoformat(v["separated_on"]) if v.get("separated_on") else None,
        v.get("separation_reason"),
    )


def _history(v: dict) -> HistoryEntry:
    return HistoryEntry(v["employee_id"], v["state"], v["action"], v["actor"], from_text(v["at"]),
                        tuple(FieldChange(*c) for c in v.get("changes", [])))
