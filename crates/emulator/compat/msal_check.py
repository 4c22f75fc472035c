"""Drives the emulator with the real MSAL Python: device code, auth code + PKCE, silent refresh.

Usage: python msal_check.py <authority> <ca.pem>  (run by `cargo xtask compat`)
"""
import base64, hashlib, hmac, html, re, struct, sys, time, urllib.parse
import msal, requests

AUTH = sys.argv[1]
CA = sys.argv[2]
CLIENT = "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"
SCOPES = ["https://graph.microsoft.com/User.Read.All", "https://graph.microsoft.com/GroupMember.Read.All"]

def totp(secret):
    key = base64.b32decode(secret)
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)

def form(page):
    action = html.unescape(re.search(r'<form[^>]*action="([^"]*)"', page).group(1))
    fields = {html.unescape(n): html.unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"', page)}
    return action, fields

def walk(session, page, values):
    for value in values:
        action, fields = form(page)
        fields["value"], fields["action"] = value, "next"
        r = session.post(action, data=fields, allow_redirects=False)
        page = r.text
    return r

app = msal.PublicClientApplication(CLIENT, authority=AUTH, instance_discovery=False, verify=CA)

# Device code flow.
flow = app.initiate_device_flow(scopes=SCOPES)
assert "user_code" in flow, flow
s = requests.Session(); s.verify = CA
page = s.get(flow["verification_uri"]).text
action, fields = form(page); fields["value"] = flow["user_code"]
page = s.post(action, data=fields).text
r = walk(s, page, ["admin@contoso.com", "Demo-Admin-2026!", totp(SECRET)])
assert "signed in" in r.text, r.text
result = app.acquire_token_by_device_flow(flow)
assert "access_token" in result, result
print("device flow: ok, id token claims:", {k: result["id_token_claims"][k] for k in ("preferred_username", "tid", "iss")})

# Auth code flow with PKCE, state and nonce, in both response modes (MSAL desktop apps use
# form_post on the loopback listener).
for mode in ("form_post", "query"):
    flow = app.initiate_auth_code_flow(scopes=SCOPES, redirect_uri="http://localhost:53117", response_mode=mode)
    s = requests.Session(); s.verify = CA
    page = s.get(flow["auth_uri"]).text
    r = walk(s, page, ["admin@contoso.com", "Demo-Admin-2026!", totp(SECRET)])
    if mode == "form_post":
        action, response = form(r.text)
        assert action == "http://localhost:53117", action
    else:
        response = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(r.headers["Location"]).query))
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    print("auth code flow (%s): ok, scope: %s" % (mode, result.get("scope")))

# Silent refresh from MSAL's cache (refresh token grant).
account = app.get_accounts()[0]
silent = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
assert silent and "access_token" in silent, silent
me = requests.get(AUTH.rsplit("/", 1)[0] + "/v1.0/me/memberOf", headers={"Authorization": "Bearer " + silent["access_token"]}, verify=CA).json()
print("silent refresh: ok; /me/memberOf role:", [v.get("displayName") for v in me["value"] if v["@odata.type"].endswith("directoryRole")])

# The token for graph_sdk_check.py (Microsoft's Graph SDK), when asked for: `.default`, as the
# app asks, i.e. everything the README's registration was consented (User.Read included).
if len(sys.argv) > 3:
    default = app.acquire_token_silent(["https://graph.microsoft.com/.default"], account=account, force_refresh=True)
    assert default and "access_token" in default, default
    print(".default: ok, scope:", default.get("scope"))
    with open(sys.argv[3], "w") as out:
        out.write(default["access_token"])

    # Admin consent (the v2.0 adminconsent endpoint) to the two permissions that manage app
    # registrations, then MSAL's silent refresh for them: graph_sdk_check.py creates an
    # application, its service principal and a grant with this token.
    REGISTRATION_SCOPES = ["https://graph.microsoft.com/Application.ReadWrite.All",
                           "https://graph.microsoft.com/DelegatedPermissionGrant.ReadWrite.All"]
    consent = AUTH + "/v2.0/adminconsent?" + urllib.parse.urlencode({
        "client_id": CLIENT, "scope": " ".join(REGISTRATION_SCOPES),
        "redirect_uri": "http://localhost:53117", "state": "compat"})
    s = requests.Session(); s.verify = CA
    r = walk(s, s.get(consent).text, ["admin@contoso.com", "Demo-Admin-2026!", totp(SECRET), "accept"])
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(r.headers["Location"]).query))
    assert answer.get("admin_consent") == "True" and answer.get("state") == "compat", answer
    print("admin consent: ok, tenant", answer["tenant"])
    registrations = app.acquire_token_silent(REGISTRATION_SCOPES, account=account, force_refresh=True)
    assert registrations and "access_token" in registrations, registrations
    print("registration scopes: ok, scope:", registrations.get("scope"))
    with open(sys.argv[3] + ".registrations", "w") as out:
        out.write(registrations["access_token"])
