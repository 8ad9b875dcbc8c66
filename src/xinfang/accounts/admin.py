"""Admin screens for units, users and categories: the system administrator's tools.

Access is by role, not by Django's is_superuser or model permissions, so that a
superuser flag set by mistake opens nothing (三员分立). Petitions are not
registered here: the system administrator sees no petition content. Nothing is
deleted: units and users are deactivated instead.
"""

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xinfang.accounts import lockout, roles, twofactor
from xinfang.accounts.models import Role, RoleRequest, Unit, User, UserRole
from xinfang.core.errors import DomainError
from xinfang.petitions.models import Category


class XinfangAdminSite(admin.AdminSite):
    site_header = _("Xinfang administration")
    site_title = _("Xinfang administration")
    index_title = _("Organisation, accounts and lists")

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_authenticated and user.has_role(Role.SYSTEM_ADMIN)

    def login(self, request, extra_context=None):
        # One sign-in for the whole site, with the lock-out and the second factor:
        # the admin's own login form would skip the second factor. Someone already
        # signed in without the role is refused here: sending them to sign in again
        # would bounce between the two pages for ever.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


site = XinfangAdminSite(name="admin")


class SystemAdminOnly:
    """Everything allowed to the system administrator except deleting."""

    def has_module_permission(self, request):
        return request.user.has_role(Role.SYSTEM_ADMIN)

    def has_view_permission(self, request, obj=None):
        return request.user.has_role(Role.SYSTEM_ADMIN)

    def has_change_permission(self, request, obj=None):
        return request.user.has_role(Role.SYSTEM_ADMIN)

    def has_add_permission(self, request, obj=None):  # inlines pass the parent object
        return request.user.has_role(Role.SYSTEM_ADMIN)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit, site=site)
class UnitAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent", "leader_in_charge", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code")
    ordering = ("path",)
    autocomplete_fields = ("parent", "leader_in_charge")
    fields = ("code", "name", "kind", "parent", "leader_in_charge", "active", "sort_order")


class RoleFormSet(BaseInlineFormSet):
    """Refuses, with the form shown again, what separation of duties forbids (accounts/roles.py):
    changing one's own roles, and roles no one person may hold together."""

    request = None

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kept = {
            form.cleaned_data["role"]
            for form in self.forms
            if form.cleaned_data.get("role") and not form.cleaned_data.get("DELETE")
        }
        changed = any(form.has_changed() for form in self.forms)
        if changed and self.request is not None and self.instance.pk == self.request.user.pk:
            raise ValidationError(_("Nobody changes their own roles: ask another system administrator."))
        if problem := roles.combination_problem(kept):
            raise ValidationError(problem)


class UserRoleInline(SystemAdminOnly, admin.TabularInline):
    model = UserRole
    formset = RoleFormSet
    extra = 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.request = request
        return formset

    def has_delete_permission(self, request, obj=None):
        # Taking a role away is part of managing accounts.
        return request.user.has_role(Role.SYSTEM_ADMIN)


@admin.register(User, site=site)
class UserAdmin(SystemAdminOnly, DjangoUserAdmin):
    list_display = ("username", "name", "unit", "roles_display", "is_active", "last_login")
    list_filter = ("is_active", "unit", "roles__role")
    search_fields = ("username", "name")
    ordering = ("username",)
    autocomplete_fields = ("unit",)
    inlines = [UserRoleInline]
    actions = ["unlock_sign_in", "reset_two_factor"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("name", "unit", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "name", "unit", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")

    @admin.display(description=_("roles"))
    def roles_display(self, obj):
        return ", ".join(str(r) for r in obj.roles.all())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit").prefetch_related("roles")

    def save_formset(self, request, form, formset, change):
        if formset.model is not UserRole:
            return super().save_formset(request, form, formset, change)
        # Roles go through accounts/roles.py: petition roles wait for a second administrator,
        # and every change is written to the access log.
        user = form.instance
        previous = {r.pk: r.role for r in UserRole.objects.filter(user=user)}
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            roles.revoke(actor=request.user, user=user, role=previous.get(obj.pk, obj.role))
        waiting = []
        for obj in instances:
            if obj.pk and previous.get(obj.pk) != obj.role:
                roles.revoke(actor=request.user, user=user, role=previous[obj.pk])
            if obj.pk and previous.get(obj.pk) == obj.role:
                continue
            result = roles.request_role(actor=request.user, user=user, role=obj.role)
            if not isinstance(result, UserRole):
                waiting.append(result.get_role_display())
        if waiting:
            self.message_user(
                request,
                _("Awaiting a second system administrator's approval: %(roles)s.")
                % {"roles": "、".join(waiting)},
                messages.WARNING,
            )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            roles.log_reset("account.password_reset", actor=request.user, user=self.get_object(request, id))
        return response

    @admin.action(description=_("Unlock sign-in after failed attempts"))
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            lockout.unlock(user.get_username())
            roles.log_reset("account.unlocked", actor=request.user, user=user)
        self.message_user(request, _("Sign-in unlocked."), messages.SUCCESS)

    @admin.action(description=_("Reset two-factor sign-in (the user sets it up again)"))
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            twofactor.reset_second_factor(user)
            roles.log_reset("account.2fa_reset", actor=request.user, user=user)
        self.message_user(request, _("Two-factor sign-in reset."), messages.SUCCESS)


@admin.register(RoleRequest, site=site)
class RoleRequestAdmin(SystemAdminOnly, admin.ModelAdmin):
    """Petition roles granted by one system administrator, approved or refused by another."""

    list_display = ("user", "role", "requested_by", "requested_at", "approved", "decided_by")
    list_filter = ("approved", "role")
    readonly_fields = ("user", "role", "requested_by", "requested_at", "approved", "decided_by", "decided_at")
    actions = ["approve", "refuse"]

    def has_add_permission(self, request, obj=None):
        return False  # requests come from the user screen

    def has_change_permission(self, request, obj=None):
        return False  # decided only through the actions below

    def _decide(self, request, queryset, approve):
        for grant in queryset.filter(approved__isnull=True).select_related("user", "requested_by"):
            try:
                roles.decide(actor=request.user, request=grant, approve=approve)
            except DomainError as refusal:
                self.message_user(request, f"{grant}: {refusal.message}", messages.ERROR)

    @admin.action(description=_("Approve the selected role grants"))
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Refuse the selected role grants"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(Category, site=site)
class CategoryAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "active", "sort_order")
    list_editable = ("active", "sort_order")
    search_fields = ("name", "name_en", "code")
