from django.urls import include, path

from config.api.health import HealthView

urlpatterns: list = [
    path("health/", HealthView.as_view(), name="api-health"),
    path("", include("scenarios.urls")),
]
urlpatterns += [path("", include("aftersales.api.sops"))]
