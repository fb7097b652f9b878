"""Which identity directory this environment uses: IDENTITY_PROVIDER=cognito (with USER_POOL_ID) or
local (the local stack's). Without IDENTITY_PROVIDER, a USER_POOL_ID means Cognito, else local."""

from __future__ import annotations

import os
from functools import cache

from contactcenter.environment import MissingSetting
from contactcenter.identity import IdentityDirectory


@cache
def directory() -> IdentityDirectory:
    """Chosen once per execution environment; tests call `directory.cache_clear()` after patching."""
    pool = os.environ.get("USER_POOL_ID") or None
    provider = os.environ.get("IDENTITY_PROVIDER") or ("cognito" if pool else "local")
    if provider == "cognito":
        if pool is None:
            raise MissingSetting("IDENTITY_PROVIDER=cognito needs USER_POOL_ID")
        from contactcenter.store.identity_cognito import CognitoIdentityDirectory

        return CognitoIdentityDirectory(pool)
    if provider == "local":
        from contactcenter.store.identity_local import local_directory

        return local_directory()
    raise MissingSetting(f"IDENTITY_PROVIDER must be cognito or local, not {provider!r}")
