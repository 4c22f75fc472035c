"""Reads the emulator with Microsoft's own Graph SDK for Python (msgraph-sdk), with a token
MSAL got for the README's app registration: the request builders send the URL forms real
Graph accepts (`users/delta()`, `deletedItems/graph.user`, `transitiveMemberOf`), and the
answers must parse, or be the documented refusal, in Microsoft's own models.

With the second token (admin consent to Application.ReadWrite.All and
DelegatedPermissionGrant.ReadWrite.All) it creates an application, its service principal and a
tenant-wide delegated permission grant, finds them again by `$filter` and alternate key, and
deletes them, through the SDK's request builders and models.

Usage: python graph_sdk_check.py <authority> <ca.pem> <access token file>  (run by
`cargo xtask compat` after msal_check.py, which writes the token file)
"""
import asyncio, sys
import httpx
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.graph_request_adapter import options as sdk_options
from msgraph_core import GraphClientFactory
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.service_principals.service_principals_request_builder import ServicePrincipalsRequestBuilder
from msgraph.generated.oauth2_permission_grants.oauth2_permission_grants_request_builder import Oauth2PermissionGrantsRequestBuilder
from msgraph.generated.models.application import Application
from msgraph.generated.models.public_client_application import PublicClientApplication
from msgraph.generated.models.required_resource_access import RequiredResourceAccess
from msgraph.generated.models.resource_access import ResourceAccess
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.o_auth2_permission_grant import OAuth2PermissionGrant
import uuid

AUTH, CA, TOKEN_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = AUTH.rsplit("/", 1)[0]
TOKEN = open(TOKEN_FILE).read().strip()
REGISTRATION_TOKEN = open(TOKEN_FILE + ".registrations").read().strip()
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_READ = "e1fe6dd8-ba31-4d61-89e7-88639da4683d"

class Static(AccessTokenProvider):
    def __init__(self, token):
        self.token = token
    async def get_authorization_token(self, uri, additional_authentication_context={}):
        return self.token
    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])

def client(token):
    # The SDK's own middleware (retries, `/users/me-token-to-replace` → `/me`), over a client
    # that trusts the emulator's CA.
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=CA), options=sdk_options)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(Static(token)), client=http)
    adapter.base_url = ROOT + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)

def where(builder, expression):
    """A request configuration with `$filter`, through the SDK's own query parameter class."""
    return RequestConfiguration(query_parameters=builder(filter=expression))

async def registrations(graph):
    """Application → service principal → grant, found again, then deleted."""
    created = await graph.applications.post(Application(
        display_name="aadsync (compat check)", sign_in_audience="AzureADMyOrg",
        is_fallback_public_client=True,
        public_client=PublicClientApplication(redirect_uris=["http://localhost"]),
        required_resource_access=[RequiredResourceAccess(
            resource_app_id=GRAPH_APP_ID,
            resource_access=[ResourceAccess(id=uuid.UUID(USER_READ), type="Scope")])]))
    assert created.id and created.app_id and created.is_fallback_public_client, created
    assert str(created.required_resource_access[0].resource_access[0].id) == USER_READ, created
    print("applications POST: ok, appId", created.app_id)
    apps = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters
    found = await graph.applications.get(where(apps, f"appId eq '{created.app_id}'"))
    assert [a.id for a in found.value] == [created.id], found
    by_key = await graph.applications_with_app_id(created.app_id).get()
    assert by_key.id == created.id, by_key
    print("applications $filter=appId eq, applications(appId=): ok")
    sp = await graph.service_principals.post(ServicePrincipal(app_id=created.app_id))
    assert sp.id and sp.app_id == created.app_id, sp
    sps = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters
    graph_sp = (await graph.service_principals.get(where(sps, f"appId eq '{GRAPH_APP_ID}'"))).value[0]
    assert any(s.value == "User.Read" and str(s.id) == USER_READ for s in graph_sp.oauth2_permission_scopes), graph_sp
    print("servicePrincipals POST, $filter=appId eq (Microsoft Graph's, with its scopes): ok")
    grant = await graph.oauth2_permission_grants.post(OAuth2PermissionGrant(
        client_id=sp.id, consent_type="AllPrincipals", resource_id=graph_sp.id, scope="User.Read"))
    assert grant.id and grant.scope == "User.Read", grant
    grants = Oauth2PermissionGrantsRequestBuilder.Oauth2PermissionGrantsRequestBuilderGetQueryParameters
    found = await graph.oauth2_permission_grants.get(where(grants, f"clientId eq '{sp.id}'"))
    assert [g.id for g in found.value] == [grant.id], found
    print("oauth2PermissionGrants POST, $filter=clientId eq: ok")
    await graph.oauth2_permission_grants.by_o_auth2_permission_grant_id(grant.id).delete()
    await graph.service_principals.by_service_principal_id(sp.id).delete()
    await graph.applications.by_application_id(created.id).delete()
    try:
        await graph.applications.by_application_id(created.id).get()
        raise AssertionError("the deleted application is still there")
    except ODataError as gone:
        assert gone.response_status_code == 404 and gone.error.code == "Request_ResourceNotFound", gone
        code = gone.error.code
    found = await graph.oauth2_permission_grants.get(where(grants, f"clientId eq '{sp.id}'"))
    assert found.value == [], found
    print("DELETE grant, service principal, application: ok, then 404", code)
    # "Upsert application" by its alternate key, as the SDK builds it (applications(uniqueName=…)):
    # without Prefer: create-if-missing it is an update, so 404 for a name nobody has; with it,
    # 201 and the application, then 204 for the same name again.
    upsert = graph.applications_with_unique_name("aadsync-compat")
    try:
        await upsert.patch(Application(display_name="not created"))
        raise AssertionError("an upsert without Prefer: create-if-missing created an application")
    except ODataError as missing:
        assert missing.response_status_code == 404, missing
    prefer = RequestConfiguration()
    prefer.headers.add("Prefer", "create-if-missing")
    made = await upsert.patch(Application(display_name="aadsync (upsert)", sign_in_audience="AzureADMyOrg"), prefer)
    assert made and made.id and made.unique_name == "aadsync-compat", made
    again = await upsert.patch(Application(display_name="aadsync (renamed)"), prefer)
    assert again is None, again
    fetched = await upsert.get()
    assert fetched.id == made.id and fetched.display_name == "aadsync (renamed)", fetched
    await graph.applications.by_application_id(made.id).delete()
    print("applications(uniqueName=) PATCH: 404 without Prefer, 201 then 204 with create-if-missing: ok")

async def main():
    graph = client(TOKEN)
    # The README's registration may not create applications: 403, as documented.
    try:
        await graph.applications.post(Application(display_name="refused"))
        raise AssertionError("an application was created without Application.ReadWrite.All")
    except ODataError as refused:
        assert refused.response_status_code == 403, refused.response_status_code
        print("applications POST without Application.ReadWrite.All: refused 403:", refused.error.code)
    await registrations(client(REGISTRATION_TOKEN))

    users = await graph.users.delta.get()
    assert users.value and users.odata_next_link or users.odata_delta_link, users
    print("users/delta(): ok,", len(users.value), "users on the first page")
    groups = await graph.groups.delta.get()
    assert groups.value, groups
    print("groups/delta(): ok,", len(groups.value), "groups on the first page")
    group = next(g for g in groups.value if g.id)
    members = await graph.groups.by_group_id(group.id).members.graph_user.get()
    assert members is not None and members.value is not None, members
    print("groups/{id}/members/graph.user: ok,", len(members.value), "members")
    deleted_users = await graph.directory.deleted_items.graph_user.get()
    assert deleted_users is not None and deleted_users.value is not None, deleted_users
    print("directory/deletedItems/graph.user: ok,", len(deleted_users.value), "deleted users")
    # The README's registration has no Group.Read.All: Graph refuses deleted groups (403).
    try:
        await graph.directory.deleted_items.graph_group.get()
        raise AssertionError("deleted groups were readable without Group.Read.All")
    except ODataError as refused:
        assert refused.response_status_code == 403, refused.response_status_code
        print("directory/deletedItems/graph.group: refused 403 as documented:", refused.error.code)
    roles = await graph.me.transitive_member_of.get()
    kinds = {type(o).__name__ for o in roles.value}
    assert "DirectoryRole" in kinds, kinds
    # Limited information: a role the token may not read comes with id and type only.
    role = next(o for o in roles.value if type(o).__name__ == "DirectoryRole")
    assert role.id and role.role_template_id is None and role.display_name is None, role
    print("me/transitiveMemberOf: ok, directory roles with limited information")
    org = await graph.organization.get()
    assert org.value and org.value[0].verified_domains, org
    print("organization: ok,", org.value[0].display_name)

asyncio.run(main())
