-- Resolving an account-name conflict (issue 15): an Entra ID user imported under another
-- account name keeps it on later runs, and a local user may be linked to an Entra ID user.

-- The account name the administrator chose instead of the UPN; NULL follows the UPN.
ALTER TABLE azure_users ADD COLUMN account_name_chosen TEXT
    CHECK (account_name_chosen IS NULL OR length(trim(account_name_chosen)) > 0);

-- Linking turns a local user into an Azure AD user, and its undo turns it back; both happen
-- only inside the apply path (synchronization or undo), which holds the marker. An Active
-- Directory user never becomes an Azure AD user, and no user becomes one elsewhere.
DROP TRIGGER users_auth_type_azure_is_permanent;
CREATE TRIGGER users_auth_type_azure_is_permanent
BEFORE UPDATE OF auth_type ON users
WHEN (OLD.auth_type = 'azure_ad') <> (NEW.auth_type = 'azure_ad')
  AND (NOT EXISTS (SELECT 1 FROM sync_apply_marker)
       OR 'active_directory' IN (OLD.auth_type, NEW.auth_type))
BEGIN
    SELECT RAISE(ABORT, 'aadsync: the authentication type of an Azure AD user cannot be changed, and no user can become one except through synchronization');
END;
