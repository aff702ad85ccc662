from django.urls import path, re_path

from firewall import views

urlpatterns = [
    path("simple/", views.simple_root, name="firewall-simple"),
    re_path(rf"^simple/(?P<project>{views.PYPI_PROJECT})/$", views.simple_project, name="firewall-simple-project"),
    re_path(rf"^files/(?P<project>{views.PYPI_PROJECT})/(?P<filename>[A-Za-z0-9][A-Za-z0-9._+!-]{{0,254}})$",
            views.pypi_file, name="firewall-pypi-file"),
    re_path(r"^npm/(?P<name>(?:@[^/]{1,101}/)?[^/@][^/]{0,213})/-/(?P<filename>[^/]{1,300})$", views.npm_tarball,
            name="firewall-npm-tarball"),
    re_path(r"^npm/(?P<name>(?:@[^/]{1,101}/)?[^/@][^/]{0,213})/?$", views.npm_document, name="firewall-npm-document"),
]
