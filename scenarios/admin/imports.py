"""The admin's two-step file import, shared by the training-example (CSV) and scenario-test (JSON)
imports. Step 1 uploads a file; what the model admin's ``import_read`` makes of it is kept in the
session, so that the preview can be shown again (and a mapping corrected) without uploading again.
Step 2 is the model admin's own ``import_preview``: it shows the preview and calls its import
service, ending with ``import_finished``. Either step can be cancelled, which forgets the upload.
The page is served at ``<changelist>/import/`` as ``admin:<app>_<model>_import``, only to users
who may add rows.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path


class SessionImportAdminMixin:
    import_title: str
    import_session_key: str
    import_upload_form: type[forms.Form]
    import_upload_template: str

    def import_read(self, form: forms.Form):
        """The valid upload form's file → what to keep in the session (JSON-serializable: the
        session is stored as JSON). Raise ``forms.ValidationError`` to show an error on the file."""
        raise NotImplementedError

    def import_preview(self, request, stashed, context: dict):
        """The second step: render the preview (with ``context``) or import ``stashed`` and return
        ``import_finished``."""
        raise NotImplementedError

    def _import_url_name(self, view: str) -> str:
        return f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{self.model._meta.app_label}_{self.model._meta.model_name}_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect(self._import_url_name("changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": self.import_title,
        }
        if request.method == "POST" and "file" in request.FILES:
            form = self.import_upload_form(request.POST, request.FILES)
            if form.is_valid():
                try:
                    stashed = self.import_read(form)
                except forms.ValidationError as exc:
                    form.add_error("file", exc)
                else:
                    request.session[self.import_session_key] = stashed
                    # Redirect after the POST so that reloading the preview does not upload again.
                    return redirect(self._import_url_name("import"))
            return TemplateResponse(request, self.import_upload_template, {**context, "form": form})
        stashed = request.session.get(self.import_session_key)
        if stashed is None:
            return TemplateResponse(
                request, self.import_upload_template, {**context, "form": self.import_upload_form()}
            )
        if request.method == "POST" and "cancel" in request.POST:
            del request.session[self.import_session_key]
            return redirect(self._import_url_name("changelist"))
        return self.import_preview(request, stashed, context)

    def import_finished(self, request, message: str):
        """After a successful import: forget the upload (so the page offers a new one) and say what
        was imported on the change list."""
        del request.session[self.import_session_key]
        messages.success(request, message)
        return redirect(self._import_url_name("changelist"))
