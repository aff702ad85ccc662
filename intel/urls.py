from django.urls import re_path

from intel import views

urlpatterns = [
    re_path(r"^threats/(?P<reference>THR-[0-9]{4}-[0-9]{4,})$", views.threat_page, name="threat-page"),
]
