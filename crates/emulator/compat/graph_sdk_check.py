"""Reads the emulator with Microsoft's own Graph SDK for Python (msgraph-sdk), with a token
MSAL got for the README's app registration: the request builders send the URL forms real
Graph accepts (`users/delta()`, `deletedItems/graph.user`, `transitiveMemberOf`), and the
answers must parse, or be the documented refusal, in Microsoft's own models.

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

AUTH, CA, TOKEN_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
ROOT = AUTH.rsplit("/", 1)[0]
TOKEN = open(TOKEN_FILE).read().strip()

class Static(AccessTokenProvider):
    async def get_authorization_token(self, uri, additional_authentication_context={}):
        return TOKEN
    def get_allowed_hosts_validator(self):
        return AllowedHostsValidator([])

async def main():
    # The SDK's own middleware (retries, `/users/me-token-to-replace` → `/me`), over a client
    # that trusts the emulator's CA.
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=CA), options=sdk_options)
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(Static()), client=http)
    adapter.base_url = ROOT + "/v1.0"
    graph = GraphServiceClient(request_adapter=adapter)

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
