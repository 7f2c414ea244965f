"""Employee pages: add, details, edit, replace the document, view or download it, history,
delete. Field errors, refused uploads and stale versions are shown on the form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from humangov.domain.auth import READ_ONLY
from humangov.domain.errors import InvalidInput, StaleVersion
from humangov.domain.model import EDITABLE_FIELDS
from humangov.personnel.documents import human_size, too_large
from humangov.web.deps import (
    ContainerDep,
    PrincipalDep,
    TenantRead,
    TenantWrite,
    is_synthetic,
    render,
    require_csrf,
)
from humangov.web.pages.kit import (
    FORM_ERRORS,
    FieldErrors,
    employee_url,
    field_errors,
    flash,
    form_error,
    parse_version,
    see_other,
    small_form,
    text,
    upload,
)
from humangov.web.uploads import FormTooLarge, read_form, text_fields

router = APIRouter(include_in_schema=False)


def _new_form(request: Request, state: str, values: dict, errors: dict, status: int = 200):
    limit = human_size(request.app.state.container.settings.max_document_bytes)
    return render(
        request, "employee/new.html", status, state=state, values=values, errors=errors,
        limit=limit,
    )


@router.get("/states/{code}/employees/new")
def new_employee_form(request: Request, state: TenantWrite):
    return _new_form(request, state, {}, {})


@router.post("/states/{code}/employees/new")
async def add_employee(
    request: Request, state: TenantWrite, container: ContainerDep, principal: PrincipalDep
):
    values: dict[str, str] = {}
    try:
        async with read_form(request, container.settings.max_document_bytes) as form:
            require_csrf(request, form.get("csrf_token"))
            values = text_fields(form, EDITABLE_FIELDS)
            errors = field_errors(values, partial=False)
            status, limit = 422, container.settings.max_document_bytes
            try:
                doc = upload(form)
                if (doc.size or 0) > limit:  # told now, with the other fields, not after them
                    status, errors["document"] = 413, too_large(limit).detail
            except InvalidInput as exc:
                errors["document"] = exc.detail
            if errors:  # before the file is read or stored
                raise FieldErrors(errors, status)
            employee = await run_in_threadpool(
                container.personnel.add_employee, state, values, doc.file, principal.actor,
                synthetic=is_synthetic(request),
            )
    except FormTooLarge as exc:
        # The body was cut off at the limit; what was typed before the file still comes back.
        require_csrf(request, exc.fields.get("csrf_token"))
        values = {k: v for k, v in exc.fields.items() if k in EDITABLE_FIELDS}
        errors = {**field_errors(values, partial=False), "document": exc.detail}
        return _new_form(request, state, values, errors, 413)
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return _new_form(request, state, values, errors, status)
    flash(request, "Employee added.")
    return see_other(employee_url(employee))


@router.get("/states/{code}/employees/{employee_id}")
def employee_page(
    request: Request,
    state: TenantRead,
    employee_id: str,
    container: ContainerDep,
    principal: PrincipalDep,
):
    employee = container.personnel.get_employee(state, employee_id)
    return render(
        request,
        "employee/detail.html",
        e=employee,
        can_write=principal.role not in READ_ONLY,
        document_size=human_size(employee.document.size) if employee.document else None,
    )


@router.get("/states/{code}/employees/{employee_id}/edit")
def edit_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    values = {name: str(getattr(employee, name)) for name in EDITABLE_FIELDS}
    return render(
        request,
        "employee/edit.html",
        e=employee,
        values=values,
        version=employee.version,
        errors={},
    )


@router.post("/states/{code}/employees/{employee_id}/edit")
async def edit(
    request: Request,
    state: TenantWrite,
    employee_id: str,
    container: ContainerDep,
    principal: PrincipalDep,
):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    current = container.personnel.get_employee(state, employee_id)
    values = text_fields(form, EDITABLE_FIELDS)
    version = text(form, "version")
    try:
        if errors := field_errors(values, partial=True):
            raise FieldErrors(errors)
        updated = await run_in_threadpool(
            container.personnel.update_employee,
            state,
            current.id,
            values,
            principal.actor,
            parse_version(version),
        )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(
            request,
            "employee/edit.html",
            status,
            e=current,
            values=values,
            version=version,
            errors=errors,
            stale=isinstance(exc, StaleVersion),
        )
    flash(request, "Changes saved." if updated.version != current.version else "Nothing changed.")
    return see_other(employee_url(updated))


@router.get("/states/{code}/employees/{employee_id}/document")
def replace_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(
        request, "employee/document.html", e=employee, version=employee.version, errors={}
    )


@router.post("/states/{code}/employees/{employee_id}/document")
async def replace_document(
    request: Request,
    state: TenantWrite,
    employee_id: str,
    container: ContainerDep,
    principal: PrincipalDep,
):
    current = container.personnel.get_employee(state, employee_id)  # 404 before reading the upload
    version = ""
    try:
        async with read_form(request, container.settings.max_document_bytes) as form:
            require_csrf(request, form.get("csrf_token"))
            version = text(form, "version")
            expected = parse_version(version)
            updated = await run_in_threadpool(
                container.personnel.replace_document,
                state,
                current.id,
                upload(form).file,
                principal.actor,
                expected,
            )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(
            request,
            "employee/document.html",
            status,
            e=current,
            version=version or current.version,
            errors=errors,
            stale=isinstance(exc, StaleVersion),
        )
    flash(request, "Document replaced. The previous file is being erased.")
    return see_other(employee_url(updated))


def _document(container, state: str, employee_id: str, disposition: str) -> StreamingResponse:
    employee, chunks = container.personnel.open_document(state, employee_id)
    headers = {
        "Content-Disposition": f'{disposition}; filename="{employee.id}.pdf"',
        "Content-Length": str(employee.document.size),
        "X-Content-Type-Options": "nosniff",
        # An uploaded file is untrusted content served from our origin: a sandbox gives it a
        # unique origin, so script in a crafted "PDF" cannot reach the session or our pages.
        # https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy/sandbox
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        iterate_in_threadpool(chunks), media_type="application/pdf", headers=headers
    )


@router.get("/states/{code}/employees/{employee_id}/document/view")
def view_document(state: TenantRead, employee_id: str, container: ContainerDep):
    return _document(container, state, employee_id, "inline")


@router.get("/states/{code}/employees/{employee_id}/document/download")
def download_document(state: TenantRead, employee_id: str, container: ContainerDep):
    return _document(container, state, employee_id, "attachment")


@router.get("/states/{code}/employees/{employee_id}/history")
def history_page(request: Request, state: TenantRead, employee_id: str, container: ContainerDep):
    entries = container.personnel.history(state, employee_id)
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/history.html", e=employee, entries=list(reversed(entries)))


@router.get("/states/{code}/employees/{employee_id}/delete")
def delete_form(request: Request, state: TenantWrite, employee_id: str, container: ContainerDep):
    employee = container.personnel.get_employee(state, employee_id)
    return render(request, "employee/delete.html", e=employee, version=employee.version, errors={})


@router.post("/states/{code}/employees/{employee_id}/delete")
async def delete(
    request: Request,
    state: TenantWrite,
    employee_id: str,
    container: ContainerDep,
    principal: PrincipalDep,
):
    form = await small_form(request)
    require_csrf(request, form.get("csrf_token"))
    current = container.personnel.get_employee(state, employee_id)
    version = text(form, "version")
    try:
        await run_in_threadpool(
            container.personnel.delete_employee,
            state,
            current.id,
            principal.actor,
            parse_version(version),
        )
    except FORM_ERRORS as exc:
        status, errors = form_error(exc)
        return render(
            request,
            "employee/delete.html",
            status,
            e=current,
            version=current.version,
            errors=errors,
            stale=isinstance(exc, StaleVersion),
        )
    flash(request, "Employee record deleted. Its document is being erased.")
    return see_other(f"/states/{state}")
