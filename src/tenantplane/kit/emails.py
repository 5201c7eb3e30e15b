"""E-mail addresses as self-hosted installs use them: any syntactically valid address, internal domains included.

email-validator (behind Pydantic's `EmailStr`) refuses special-use names such as `corp.local` or `acme.test` by
default; an ITSM tool on a company network must take them. Its documented list of such names is emptied once,
here, so every `EmailStr` of the process (users, bootstrap, YAML, channels) follows the same rule. Nothing
checks deliverability (no DNS look-ups).
"""

from __future__ import annotations

import email_validator

email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()
