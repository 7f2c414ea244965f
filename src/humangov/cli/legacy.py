"""`humangov legacy attach|list|detach`: an earlier application's table and bucket, per state.

Attached, the earlier table's `pdf` values count as live references in every sweep of the
state, and `humangov orphans scan|purge --legacy` sweeps the earlier bucket's backlog.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from humangov.cli.common import DataDir, StateOpt, err, open_container, out

app = typer.Typer(help="Attach an earlier HumanGov application's table and bucket to a state.",
                  no_args_is_help=True)

TableOpt = Annotated[str, typer.Option("--legacy-table", help="The earlier DynamoDB table.")]
BucketOpt = Annotated[str, typer.Option("--legacy-bucket", help="The earlier S3 bucket.")]


@app.command("attach")
def attach(state: StateOpt, table: TableOpt, bucket: BucketOpt, data_dir: DataDir = None) -> None:
    """Check the earlier table's shape, tag its bucket humangov:legacy-state=<CODE> (keeping
    its other tags) and record the pair, so every sweep of the state keeps its files."""
    from humangov.domain.states import normalize_code
    from humangov.ports import EarlierApp

    code = normalize_code(state)
    with open_container(data_dir) as c:
        c.erasures.attach_earlier(EarlierApp(code, table, bucket))
    err.print(f"{code}: attached the table {table} and the bucket {bucket}.")


@app.command("list")
def list_attached(
    data_dir: DataDir = None,
    fmt: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
) -> None:
    """The earlier applications attached, by state."""
    with open_container(data_dir) as c:
        apps = c.erasures.attached_earlier()
    if fmt == "json":
        import orjson

        rows = [{"state": a.state, "table": a.table, "bucket": a.bucket} for a in apps]
        out.print_json(orjson.dumps(rows).decode())
        return
    from rich.table import Table

    table = Table("state", "table", "bucket", title=f"{len(apps)} attached")
    for a in apps:
        table.add_row(a.state, a.table, a.bucket)
    out.print(table)


@app.command("detach")
def detach(state: StateOpt, data_dir: DataDir = None) -> None:
    """Forget the state's earlier application. Its bucket keeps the tag (attach again to
    resume); its records stop protecting their files in the state's sweeps."""
    from humangov.domain.errors import NotFound
    from humangov.domain.states import normalize_code

    code = normalize_code(state)
    with open_container(data_dir) as c:
        if not c.erasures.detach_earlier(code):
            raise NotFound(f"No earlier application is attached to {code}.")
    err.print(f"{code}: detached.")
