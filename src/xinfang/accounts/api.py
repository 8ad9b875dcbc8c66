"""API: tokens, who am I, units."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.accounts import twofactor
from xinfang.accounts.api_auth import BearerTokenAuthentication
from xinfang.accounts.lockout import Outcome
from xinfang.accounts.models import ApiToken, Unit
from xinfang.accounts.passwords import password_expired
from xinfang.core.throttling import ClientAddressThrottle


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False)


class TokenView(APIView):
    throttle_classes = [ClientAddressThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request):
        # No authenticators run here, so DRF would turn a failed sign-in into 403;
        # API.md says 401 (and 401 must carry WWW-Authenticate).
        return "Bearer"

    @extend_schema(
        request=TokenRequestSerializer,
        responses=inline_serializer(
            "Token", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
        ),
        auth=[],
    )
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["username"]
        user = authenticate(request, username=username, password=body.validated_data["password"])
        if user is None:
            # One answer for an unknown user, a wrong password and a locked account: no enumeration.
            raise AuthenticationFailed(_("Wrong username or password."))
        # From here on the password was right, so the answers may differ.
        if twofactor.needs_second_factor(user):
            if not twofactor.has_second_factor(user):
                raise AuthenticationFailed(_("Set up two-factor sign-in on the web first, then ask again."))
            if not body.validated_data.get("otp"):
                raise AuthenticationFailed(
                    _('This account needs the code of its authenticator app in "otp".')
                )
            if twofactor.verify_code(user, body.validated_data["otp"]) is not Outcome.ACCEPTED:
                user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
                raise AuthenticationFailed(
                    _(
                        "The code is not correct, or the account is temporarily locked after too many failed attempts."
                    )
                )
        if password_expired(user):
            raise AuthenticationFailed(_("Your password has expired. Change it on the web first."))
        token, raw = ApiToken.issue(user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response({"token": raw, "expires_at": token.expires_at})

    @extend_schema(request=None, responses={204: None}, auth=[{"bearerAuth": []}])
    def delete(self, request):
        """Revokes the token that authenticates this request (sign-out for API clients)."""
        if not isinstance(request.auth, ApiToken):
            raise NotAuthenticated()
        request.auth.revoke()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=204)

    def get_authenticators(self):
        # POST signs in (nothing to authenticate); DELETE needs the bearer token it revokes.
        if getattr(self.request, "method", None) == "DELETE":
            return [BearerTokenAuthentication()]
        return []

    def get_permissions(self):
        if getattr(self.request, "method", None) == "DELETE":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    def get_throttles(self):
        return super().get_throttles() if getattr(self.request, "method", None) == "POST" else []


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    unit = UnitRefSerializer(allow_null=True)
    roles = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[str]:
        return sorted(user.role_codes)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent"]


class UnitListView(ListAPIView):
    """Every active unit: staff need the tree to register involved units and assign."""

    serializer_class = UnitSerializer
    pagination_class = None
    queryset = Unit.objects.filter(active=True).order_by("path")
