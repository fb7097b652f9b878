"""Who signs in: the Cognito user pool, role groups, the browser app client with its managed login domain,
the integration scope, and the first platform operator.

MFA, the email sender, callback and sign-out URLs and the domain prefix are deploy settings
(infra/settings.py). Integrations' app clients are made at run time by the admin API."""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import naming
from infra.constructs.nag import acknowledge
from infra.settings import DeploySettings

# Every user pool operation the identity directory calls (layers/common/python/contactcenter/store/
# identity_cognito.py): people are users, integrations app clients. tests/infra checks the two agree.
ADMINISTRATION_ACTIONS = tuple(
    f"cognito-idp:{operation}"
    for operation in (
        "AdminAddUserToGroup",
        "AdminCreateUser",
        "AdminDisableUser",
        "AdminGetUser",
        "AdminListGroupsForUser",
        "AdminRemoveUserFromGroup",
        "AdminUpdateUserAttributes",
        "AdminUserGlobalSignOut",
        "CreateGroup",  # a custom role's group, the first time someone is given it
        "CreateUserPoolClient",
        "DeleteUserPoolClient",
        "DescribeUserPoolClient",
    )
)


_MFA = {"off": cognito.Mfa.OFF, "optional": cognito.Mfa.OPTIONAL, "required": cognito.Mfa.REQUIRED}
# Without deploy settings, the app client calls back to the web console's local dev server.
DEFAULT_CALLBACK_URLS = ("http://localhost:5173/callback",)
DEFAULT_LOGOUT_URLS = ("http://localhost:5173/",)


def _email(settings: DeploySettings, region: str) -> cognito.UserPoolEmail:
    """SES when an identity is given; else Cognito's own sender, capped at 50 emails a day per account."""
    if settings.ses_email is None:
        return cognito.UserPoolEmail.with_cognito()
    return cognito.UserPoolEmail.with_ses(
        from_email=settings.ses_email,
        from_name="Contact center",
        configuration_set_name=settings.ses_configuration_set,
        ses_region=region,  # SES in the stack's own region
    )


class Identity(Construct):
    """Exposes `issuer` and `jwks_url` (what both API authorizers verify against) and the client ids
    that are valid token audiences."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            # Administrators create accounts for their organization; nobody signs themselves up.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            custom_attributes={
                # Mutable so an administrator can move a person; the people client cannot write it.
                naming.ORGANIZATION_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # Supervisors can force status changes and read attendance (payroll data): a second factor by
            # authenticator app only (no SMS role, no per-message cost); off, optional or required per
            # deployment. Cognito refuses a second factor configured while MFA is off.
            mfa=_MFA[settings.mfa],
            mfa_second_factor=None if settings.mfa == "off" else cognito.MfaSecondFactor(otp=True, sms=False),
            email=_email(settings, Stack.of(self).region),
            # The Plus tier's threat protection blocks sign-ins with leaked or risky credentials.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if settings.mfa != "required":
            acknowledge(
                self.user_pool,
                "AwsSolutions-COG2",
                f"MFA is the deployment's choice (mfa={settings.mfa}, docs/deploy.md): a trial or development "
                "stage may run without it; production deploys default to required.",
            )
        self.groups: dict[str, cognito.UserPoolGroup] = {}
        for role in naming.ROLE_GROUPS:
            self.groups[role] = cognito.UserPoolGroup(
                self,
                naming.construct_id(role, "Group"),
                user_pool=self.user_pool,
                group_name=role,
                description=f"Members act with the built-in {role} role",
            )

        self.people_client = self.user_pool.add_client(
            "PeopleClient",
            # A browser app: a public client (no secret: a browser cannot keep one) signing people in with
            # the authorization code flow through the managed login; PKCE is the public client's proof,
            # sent by every OpenID Connect library (oidc-client-ts by default). SRP stays for native apps.
            # Tokens carry `cognito:groups` and `custom:organization` in the ID token the API verifies.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=list(settings.callback_urls or DEFAULT_CALLBACK_URLS),
                logout_urls=list(settings.logout_urls or DEFAULT_LOGOUT_URLS),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),  # one shift
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(naming.ORGANIZATION_ATTRIBUTE),
            # Not `custom:organization`: a person must not move themselves to another organization.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )

        integration_scope = cognito.ResourceServerScope(
            scope_name=naming.INTEGRATION_SCOPE,
            scope_description="Routing and ticketing systems: report work items, read routable agents",
        )
        # Integrations' app clients (created by the admin API) are given this scope.
        self.resource_server = self.user_pool.add_resource_server(
            "ResourceServer", identifier=naming.RESOURCE_SERVER_ID, scopes=[integration_scope]
        )
        # Managed login (sign-in pages) and the token endpoint live on the pool's domain. The prefix is
        # global per region: it defaults to one derived from the stage and the account.
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=settings.auth_domain_prefix
                or Fn.join("-", [naming.SERVICE_NAME, settings.stage, Fn.ref("AWS::AccountId")])
            ),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        # Managed login shows a client's pages only once it has a style: Cognito's own.
        branding = cognito.CfnManagedLoginBranding(
            self,
            "PeopleLoginBranding",
            user_pool_id=self.user_pool.user_pool_id,
            client_id=self.people_client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
        branding.node.add_dependency(self.domain)
        if settings.operator_email:
            self._first_operator(settings.operator_email)

        # https://cognito-idp.<region>.amazonaws.com/<poolId>: the `iss` of every token of this pool.
        stack = Stack.of(self)
        self.issuer = f"https://cognito-idp.{stack.region}.{stack.url_suffix}/{self.user_pool.user_pool_id}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        # The JWT authorizer's audiences: people's clients. Integrations are app clients the admin API
        # creates at run time; the Lambda authorizer accepts them by their registration instead.
        self.audiences = [self.people_client.user_pool_client_id]

    def _first_operator(self, email: str) -> None:
        """The deployment's first platform operator, invited by email (docs/deploy.md)."""
        operator = cognito.CfnUserPoolUser(
            self,
            "FirstOperator",
            user_pool_id=self.user_pool.user_pool_id,
            username=email,
            desired_delivery_mediums=["EMAIL"],
            user_attributes=[
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email", value=email),
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email_verified", value="true"),
                cognito.CfnUserPoolUser.AttributeTypeProperty(
                    name=f"custom:{naming.ORGANIZATION_ATTRIBUTE}", value=naming.PLATFORM_ORGANIZATION
                ),
            ],
        )
        membership = cognito.CfnUserPoolUserToGroupAttachment(
            self,
            "FirstOperatorGroup",
            user_pool_id=self.user_pool.user_pool_id,
            username=email,
            group_name=naming.OPERATOR_GROUP,
        )
        membership.add_dependency(operator)
        membership.node.add_dependency(self.groups[naming.OPERATOR_GROUP])

    def grant_administration(self, grantee: iam.IGrantable) -> iam.Grant:
        """Exactly the operations the identity directory calls, on this user pool only."""
        return self.user_pool.grant(grantee, *ADMINISTRATION_ACTIONS)

    def customize_tokens_with(self, function: lambda_.IFunction) -> None:
        """`function` becomes the pre token generation trigger. Event version V3_0 (the Plus plan has it)
        is the one Cognito also sends for client-credentials grants, where the organization is added."""
        self.user_pool.add_trigger(
            cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, function, cognito.LambdaVersion.V3_0
        )
