"""API keys the sandbox accepts and the permissions each one carries."""

from collections.abc import Mapping

ALL_PERMISSIONS = frozenset(
    {
        "members:read",
        "members:write",
        "passes:read",
        "passes:issue",
        "passes:revoke",
        "passes:reinstate",
        "passes:update_expiry",
        "passes:send_email",
        "pass_templates:read",
    }
)
READ_PERMISSIONS = frozenset({"passes:read", "pass_templates:read"})

# Sandbox keys, not secrets: they open nothing but this local fake.
DEFAULT_KEY = "rp_sandbox_key"
READONLY_KEY = "rp_sandbox_readonly"


def default_keys():
    """Return the keys used when none are configured."""
    return {DEFAULT_KEY: ALL_PERMISSIONS, READONLY_KEY: READ_PERMISSIONS}


def parse_key_spec(spec):
    """Return (key, permissions) from "KEY" (all permissions) or "KEY=p1,p2"."""
    key, has_permissions, permission_text = spec.partition("=")
    if not has_permissions:
        return _checked_key(key, None)
    names = [name.strip() for name in permission_text.split(",")]
    return _checked_key(key, [name for name in names if name])


def normalise_keys(keys):
    """Return a {key: frozenset of permissions} dict from the accepted forms.

    keys may be None (the defaults), a mapping of key to permissions (None
    meaning all of them), or an iterable of "KEY[=perm,...]" strings.
    """
    if keys is None:
        return default_keys()
    if isinstance(keys, str):
        keys = [keys]
    if isinstance(keys, Mapping):
        pairs = [_checked_key(key, perms) for key, perms in keys.items()]
    else:
        pairs = [parse_key_spec(spec) for spec in keys]
    if not pairs:
        raise ValueError("at least one API key is needed")
    return dict(pairs)


def full_access_key(keys):
    """Return the first key holding every permission, else the first key."""
    for key, permissions in keys.items():
        if permissions >= ALL_PERMISSIONS:
            return key
    return next(iter(keys))


def key_from_headers(headers):
    """Return the API key a request carries, or None."""
    key = headers.get("X-API-Key")
    if key:
        return key.strip()
    scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def _checked_key(key, permissions):
    key = key.strip()
    if not key:
        raise ValueError("an API key must not be empty")
    if permissions is None:
        return key, ALL_PERMISSIONS
    permissions = frozenset(permissions)
    unknown = permissions - ALL_PERMISSIONS
    if unknown:
        raise ValueError(f"unknown permission: {', '.join(sorted(unknown))}")
    return key, permissions
