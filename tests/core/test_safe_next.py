"""core.urls.safe_next: the one rule for where a form may send the browser next."""

import pytest

from core.urls import CRM_PATH, safe_next


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/crm/",
        "//evil.example/crm/",
        "/crm//evil.example",
        "/crm/\\evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/crm/\n",
        "javascript:alert(1)",
        "crm/board",
        "/en/",
        "/crmx/board",
        "/crm/" + "x" * 2000,
    ],
)
def test_anything_but_a_path_of_ours_under_the_prefix_gives_the_default(target):
    assert safe_next(target, CRM_PATH, "/crm/") == "/crm/"


@pytest.mark.parametrize("target", ["/crm/", "/crm/board?owner=me&stage=new", "/crm/leads/7#x"])
def test_a_path_under_the_prefix_is_kept(target):
    assert safe_next(target, CRM_PATH, "/crm/") == target


def test_without_a_prefix_any_path_of_the_site_and_none_by_default():
    assert safe_next("/en/portal/") == "/en/portal/"
    assert safe_next("//evil.example") is None
