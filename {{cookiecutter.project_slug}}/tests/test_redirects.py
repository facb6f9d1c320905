from typing import NamedTuple

import pytest

from {{ cookiecutter.package_name }}.redirects import safe_next_path


class Target(NamedTuple):
    value: str | None
    why: str


SAFE = [
    Target("/", "the home page"),
    Target("/auth/register", "a page"),
    Target("/auth/password?tab=1#top", "a path with query and fragment"),
    Target("/a//b", "double slash after the first segment"),
    Target("/https://example.org", "a URL as a path segment"),
]

HOSTILE = [
    Target(None, "missing"),
    Target("", "empty"),
    Target("https://evil.example/", "absolute URL"),
    Target("http://evil.example", "plain http"),
    Target("//evil.example", "scheme-relative"),
    Target("///evil.example", "triple slash"),
    Target("////evil.example", "four slashes"),
    Target("/\\evil.example", "backslash read as slash"),
    Target("\\\\evil.example", "two backslashes"),
    Target("\\/evil.example", "backslash then slash"),
    Target("https:evil.example", "scheme without host"),
    Target("https:/evil.example", "scheme and one slash"),
    Target("javascript:alert(1)", "javascript URL"),
    Target("data:text/html,<script>alert(1)</script>", "data URL"),
    Target(" /evil", "leading space"),
    Target("\t//evil.example", "leading tab"),
    Target("/\t/evil.example", "tab that browsers drop"),
    Target("/\n/evil.example", "newline that browsers drop"),
    Target("\x00//evil.example", "leading NUL"),
    Target("/\x7f/evil.example", "DEL"),
    Target("evil.example", "bare host"),
    Target("session", "relative path"),
    Target("?next=//evil.example", "query only"),
]


@pytest.mark.parametrize("target", SAFE, ids=lambda target: target.why)
def test_a_path_on_this_site_is_kept(target):
    assert safe_next_path(target.value) == target.value


@pytest.mark.parametrize("target", HOSTILE, ids=lambda target: target.why)
def test_anything_that_could_leave_the_site_is_refused(target):
    assert safe_next_path(target.value) is None
