"""Reads the emulator with Microsoft's own Graph SDK for Python (msgraph-sdk), with a token
MSAL got for the README's app registration: the request builders send the URL forms real
Graph accepts (`users/delta()`, `deletedItems/graph.user`, `transitiveMemberOf`), and the
answers must parse, or be the documented refusal, in Microsoft's own models.

With the second token (admin consent to Application.ReadWrite.All and
DelegatedPermissionGrant.ReadWrite.All) it creates an application, its service principal and a
tenant-wide delegated permission grant, finds them again by `$filter` and alternate key, and
deletes them, through the SDK's request builders and models.

Then it drives `groups/delta` ($select=displayName,members) through a round of changes made
with the emulator's control API (`/_emulator/`: nesting a group, a member added to the nested
group, a member removed, a rename, two deletions) and checks the next round against what
Microsoft documents for group delta (see `group_delta`).

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
from msgraph.generated.groups.delta.delta_request_builder import DeltaRequestBuilder
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

def control(method, path, body=None):
    """The emulator's control API (never part of Graph): changes the tenant between rounds."""
    with httpx.Client(verify=CA) as http:
        r = http.request(method, ROOT + "/_emulator/" + path, json=body)
    assert r.status_code in (201, 204), (method, path, r.status_code, r.text)
    return r.json() if r.status_code == 201 else None

async def delta_round(graph, builder, config):
    """One round: every page, following `@odata.nextLink` until the `@odata.deltaLink`. Returns
    the groups merged by ID (see `merge`), how many pages, and the delta link."""
    groups, pages = {}, 0
    while True:
        page = await builder.get(config)
        pages += 1
        assert page.value is not None and all(g.id for g in page.value), page
        for g in page.value:
            merge(groups, g)
        assert bool(page.odata_next_link) != bool(page.odata_delta_link), page
        if page.odata_delta_link:
            return groups, pages, page.odata_delta_link
        builder = graph.groups.delta.with_url(page.odata_next_link)

def merge(groups, g):
    """Folds one item into the round's state of its group, as the docs tell a client to: "the
    same group could show up anywhere in the nextLink sequence", "locally merge each group's
    state", and an entity may be "contained multiple times in the response" (taken here as a
    change stream: a later copy is newer). The SDK parses `members@delta` and `@removed` into the Group model's
    `additional_data` (GUID strings there become uuid.UUID, hence str())."""
    state = groups.setdefault(g.id, {"displayName": None, "members": {}, "removed": None})
    if g.display_name is not None:
        state["displayName"] = g.display_name
    if "@removed" in g.additional_data:
        state["removed"] = g.additional_data["@removed"]
    for m in g.additional_data.get("members@delta", []):
        state["members"][str(m["id"])] = (m.get("@odata.type"), m.get("@removed"))

async def group_delta(graph):
    """groups/delta through a nested membership change, against Microsoft Learn:

    group-delta.md: "You can use `$select=members` to get membership changes." "The **id**
      property is always returned." "requests using a `@odata.deltaLink` ... return the same
      properties as selected in the initial delta query": "If the property hasn't changed, the
      old value is included".
    delta-query-groups.md: changes include "Deleted group objects", "Group objects for which a
      property has changed (e.g. **displayName** has been modified)" and "Group objects for
      which member objects have been added or removed"; "`members@delta` contains any changes
      to membership": a member "removed from the group - either by removing the membership or
      by deleting the user object itself. The `@removed` property describes that"; a group
      "does not contain that property because the group does not have any members"; "If no changes have occurred, a
      `deltaLink` is returned with no results - the `value` property is empty."
    delta-query-overview.md: "If a change occurs to a property that is not selected, the
      resource ... does not appear"; removed instances are "their **id** and an **@removed**
      object", reason "`changed` indicates the item was deleted and can be restored from
      deletedItems", "`deleted` indicates the item is deleted and cannot be restored".
    group-delete.md: "Microsoft 365 groups are moved to a temporary container and can be
      restored within 30 days ... This isn't applicable to Security groups and Distribution
      groups which are permanently deleted immediately."
    group-list-members.md / group.md: `members` are the group's "direct members ... This
      operation is not transitive"; nested members are `transitiveMembers` ("The direct and
      transitive members of a group"), which delta does not track: a user added to a nested
      group is a change of that group only."""
    a, b, c, d = [u.id for u in (await graph.users.get()).value[:4]]
    def group(name, members, unified=False):
        return control("POST", "groups", {
            "displayName": name, "securityEnabled": not unified, "mailEnabled": unified,
            "groupTypes": ["Unified"] if unified else [], "members": members})["id"]
    outer = group("compat outer", [a, d])
    inner = group("compat inner", [b])
    renamed = group("compat before rename", [d])
    gone = group("compat security, deleted", [])
    recycled = group("compat Microsoft 365, deleted", [a], unified=True)
    # Already holds the inner group, and nothing of its own changes: it must not come back.
    parent = group("compat parent", [inner])
    ours = {outer, inner, renamed, gone, recycled}

    # The OData page-size preference only makes the round span several pages; nothing below
    # depends on the page size Graph picks.
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(select=["displayName", "members"])
    config = RequestConfiguration(query_parameters=query)
    config.headers.add("Prefer", "odata.maxpagesize=10")
    first, pages, link = await delta_round(graph, graph.groups.delta, config)
    # (The overview allows @removed in an initial round too, so only our new groups are held
    # to their current members, each without @removed.)
    assert ours | {parent} <= first.keys(), (ours, first.keys())
    assert all(first[g]["removed"] is None for g in ours | {parent}), first
    user, group_type = ("#microsoft.graph.user", None), ("#microsoft.graph.group", None)
    assert first[outer]["members"] == {a: user, d: user}, first[outer]
    assert first[inner]["members"] == {b: user}, first[inner]
    assert first[parent]["members"] == {inner: group_type}, first[parent]
    assert first[gone]["members"] == {} and first[gone]["displayName"] == "compat security, deleted", first[gone]
    print("groups/delta $select=displayName,members: ok,", len(first), "groups in", pages, "pages, members@delta on those with members")

    control("POST", f"groups/{outer}/members", {"add": [inner], "remove": [a]})
    control("POST", f"groups/{inner}/members", {"add": [c]})
    control("PATCH", f"groups/{renamed}", {"displayName": "compat after rename"})
    control("DELETE", f"groups/{gone}")
    control("DELETE", f"groups/{recycled}")

    changed, pages, link = await delta_round(graph, graph.groups.delta.with_url(link), config)
    # Only the changed groups: none of the tenant's other groups, nor the parent that merely
    # contains the nested group whose members changed, comes back.
    assert changed.keys() == ours, (changed.keys(), ours)
    o, i = changed[outer], changed[inner]
    # Direct members only: the nested group as an added member, the removed user with
    # @removed, the unchanged member not at all, and not the user added to the nested group.
    assert o["members"].keys() == {inner, a}, o
    assert o["members"][inner] == group_type, o
    # The docs' example gives reason `deleted` for a removed membership, but only names the
    # two reasons: either is accepted, @removed itself is required.
    assert o["members"][a][0] == "#microsoft.graph.user" and isinstance(o["members"][a][1], dict), o
    assert o["members"][a][1].get("reason") in ("changed", "deleted"), o
    assert o["displayName"] == "compat outer" and o["removed"] is None, o
    print("groups/delta membership: ok, nested group added and a member @removed",
          o["members"][a][1], "on the outer group")
    assert i["members"] == {c: user} and i["displayName"] == "compat inner", i
    print("groups/delta nesting: ok, the user added to the nested group is on it alone, not on the outer group; the parent is not back")
    assert changed[renamed]["displayName"] == "compat after rename" and changed[renamed]["members"] == {}, changed[renamed]
    print("groups/delta rename: ok, the new displayName, no members@delta")
    assert changed[gone]["removed"] == {"reason": "deleted"}, changed[gone]
    assert changed[recycled]["removed"] == {"reason": "changed"}, changed[recycled]
    print("groups/delta deletions: ok, @removed deleted (security group), changed (Microsoft 365 group)")

    again, pages, link2 = await delta_round(graph, graph.groups.delta.with_url(link), config)
    assert again == {} and link2, again
    print("groups/delta new deltaLink: ok, no changes, empty value and another deltaLink")

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
    await group_delta(graph)

asyncio.run(main())
