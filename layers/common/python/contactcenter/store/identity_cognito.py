"""The identity directory on a Cognito user pool: people are users (groups = roles, `custom:organization`
= their organization), integrations are app clients with the client credentials flow.

The pool signs people in by email, so Cognito makes each user's username its `sub`: the subject every
item of theirs is keyed by. Built-in role groups are created with the pool (infra/constructs/identity.py);
a custom role's group is created the first time someone is given it (group names are pool-wide, and
the permissions a name grants are read from the caller's own organization, so names may repeat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from contactcenter.access import BUILT_IN_ROLES
from contactcenter.errors import Conflict, Invalid, NotFound, Retryable
from contactcenter.identity import INTEGRATION_SCOPE, CreatedUser, MachineCredentials, NewUser
from contactcenter.store import clients

ORGANIZATION_ATTRIBUTE = "custom:organization"
_RETRYABLE = frozenset({"TooManyRequestsException", "LimitExceededException", "InternalErrorException"})


class CognitoIdentityDirectory:
    def __init__(
        self, user_pool_id: str, *, client: Any = None, integration_scopes: Sequence[str] = (INTEGRATION_SCOPE,)
    ) -> None:
        self.user_pool_id = user_pool_id
        self._client = client
        self.integration_scopes = tuple(integration_scopes)

    @property
    def client(self) -> Any:
        return self._client or clients.cognito()

    def create_user(self, user: NewUser) -> CreatedUser:
        try:
            response = self.client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=user.email,
                UserAttributes=[
                    {"Name": "email", "Value": user.email},
                    # An administrator vouches for the address: Cognito sends the invitation there.
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": user.display_name},
                    {"Name": ORGANIZATION_ATTRIBUTE, "Value": user.organization_id},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
            subject = _subject(response["User"].get("Attributes", []), response["User"]["Username"])
        except ClientError as error:
            if _code(error) != "UsernameExistsException":
                raise _translate(error) from error
            return CreatedUser(self._adopt(user), adopted=True)
        self._set_groups(subject, user.roles)
        return CreatedUser(subject)

    def update_user(self, organization_id: str, subject: str, *, display_name: str, roles: frozenset[str]) -> None:
        self._user_of(organization_id, subject)
        try:
            self.client.admin_update_user_attributes(
                UserPoolId=self.user_pool_id,
                Username=subject,
                UserAttributes=[{"Name": "name", "Value": display_name}],
            )
        except ClientError as error:
            raise _translate(error) from error
        self._set_groups(subject, roles)

    def disable_user(self, organization_id: str, subject: str) -> None:
        self._user_of(organization_id, subject)
        try:
            self.client.admin_disable_user(UserPoolId=self.user_pool_id, Username=subject)
            # Refresh tokens stop working now; ID tokens already issued expire within their hour.
            self.client.admin_user_global_sign_out(UserPoolId=self.user_pool_id, Username=subject)
        except ClientError as error:
            raise _translate(error) from error

    def create_client(self, organization_id: str, name: str) -> MachineCredentials:
        try:
            response = self.client.create_user_pool_client(
                UserPoolId=self.user_pool_id,
                ClientName=_client_name(organization_id, name),
                GenerateSecret=True,
                AllowedOAuthFlows=["client_credentials"],
                AllowedOAuthScopes=list(self.integration_scopes),
                AllowedOAuthFlowsUserPoolClient=True,
                AccessTokenValidity=1,
                TokenValidityUnits={"AccessToken": "hours"},
                EnableTokenRevocation=True,
                PreventUserExistenceErrors="ENABLED",
            )
        except ClientError as error:
            raise _translate(error) from error
        created = response["UserPoolClient"]
        return MachineCredentials(client_id=created["ClientId"], client_secret=created["ClientSecret"])

    def revoke_client(self, organization_id: str, client_id: str) -> None:
        try:
            described = self.client.describe_user_pool_client(UserPoolId=self.user_pool_id, ClientId=client_id)
            if not described["UserPoolClient"]["ClientName"].startswith(_client_name(organization_id, "")):
                raise NotFound("no such client in this organization", field="userId", rule="unknown_person")
            self.client.delete_user_pool_client(UserPoolId=self.user_pool_id, ClientId=client_id)
        except ClientError as error:
            raise _translate(error) from error

    def _adopt(self, user: NewUser) -> str:
        """The email is taken: a user of the same organization is this person (a retried creation)."""
        try:
            existing = self.client.admin_get_user(UserPoolId=self.user_pool_id, Username=user.email)
        except ClientError as error:
            raise _translate(error) from error
        attributes = _attributes(existing.get("UserAttributes", []))
        if attributes.get(ORGANIZATION_ATTRIBUTE) != user.organization_id:
            raise Conflict("this email belongs to someone else", field="email", rule="email_taken")
        return attributes.get("sub") or str(existing["Username"])

    def _user_of(self, organization_id: str, subject: str) -> Mapping[str, str]:
        try:
            existing = self.client.admin_get_user(UserPoolId=self.user_pool_id, Username=subject)
        except ClientError as error:
            raise _translate(error) from error
        attributes = _attributes(existing.get("UserAttributes", []))
        if attributes.get(ORGANIZATION_ATTRIBUTE) != organization_id:
            raise NotFound("no such user in this organization", field="userId", rule="unknown_person")
        return attributes

    def _set_groups(self, subject: str, roles: frozenset[str]) -> None:
        pool = self.user_pool_id
        try:
            current = {
                group["GroupName"]
                for page in self.client.get_paginator("admin_list_groups_for_user").paginate(
                    UserPoolId=pool, Username=subject
                )
                for group in page.get("Groups", [])
            }
            for role in sorted(roles - current):
                if role not in BUILT_IN_ROLES:
                    self._ensure_group(role)
                self.client.admin_add_user_to_group(UserPoolId=pool, Username=subject, GroupName=role)
            for role in sorted(current - roles):
                self.client.admin_remove_user_from_group(UserPoolId=pool, Username=subject, GroupName=role)
        except ClientError as error:
            raise _translate(error) from error

    def _ensure_group(self, name: str) -> None:
        try:
            self.client.create_group(
                UserPoolId=self.user_pool_id, GroupName=name, Description="A custom role (see the organization's roles)"
            )
        except ClientError as error:
            if _code(error) != "GroupExistsException":
                raise


def _client_name(organization_id: str, name: str) -> str:
    # App client names allow [\w\s+=,.@-]; the organization prefix tells whose client it is.
    return f"{organization_id}@{name}"[:128]


def _attributes(values: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {attribute["Name"]: attribute["Value"] for attribute in values}


def _subject(values: Sequence[Mapping[str, str]], username: str) -> str:
    return _attributes(values).get("sub") or username


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _translate(error: ClientError) -> Exception:
    code = _code(error)
    message = str(error.response.get("Error", {}).get("Message", code))
    if code in _RETRYABLE:
        return Retryable("the identity provider is busy: retry the same request", rule="throttled")
    if code in {"UserNotFoundException", "ResourceNotFoundException"}:
        return NotFound("no such user or client in the identity provider", field="userId", rule="unknown_person")
    if code in {"InvalidParameterException", "InvalidEmailRoleAccessPolicyException"}:
        return Invalid(message, field="email", rule="identity_refused")
    if code == "AliasExistsException":
        return Conflict("this email belongs to someone else", field="email", rule="email_taken")
    return error
