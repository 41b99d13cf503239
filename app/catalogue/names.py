"""The names errcat derives from the page's: slugs and service keys. Pure.

Slugs: live error responses carry ``<Service>_<Name>``. The service part is the section name as
printed with every character that cannot appear in an identifier removed, so
``Prisma/Database`` + ``NotFound`` gives ``PrismaDatabase_NotFound`` while ``Auth_Config`` keeps
its underscore (``Auth_Config_NotFound``). Slug look-ups ignore case.

Service keys (URL-friendly names): the printed name in lower case with every run of other
characters turned into ``-`` (``Auth_Config`` -> ``auth-config``, ``Prisma/Database`` ->
``prisma-database``); a service is also found by its printed name, in any case.
"""

from __future__ import annotations

from app.catalogue.linear import LinearPattern, text_of, utf8

HTTP_SECTION = "HTTP"
# The namespace whose codes the page's range list and section headings describe.
RANGED_NAMESPACE = "platform"


_NOT_IN_SLUG = LinearPattern(r"[^A-Za-z0-9_]+")


def slug_service(service: str) -> str:
    return text_of(_NOT_IN_SLUG.sub(b"", utf8(service)))


def make_slug(service: str, name: str) -> str:
    return f"{slug_service(service)}_{name}"


# Service keys are also made of a client's ?service= text: RE2, linear whatever it holds.
_NOT_IN_KEY = LinearPattern(r"[^a-z0-9]+")


def service_key(name: str) -> str:
    return text_of(_NOT_IN_KEY.sub(b"-", utf8(name.lower()))).strip("-")
