"""The project's URLs plus the floor of the runtime benchmark (mounted by bench/settings.py only).

The floor is the cheapest thing an API endpoint can do here: a plain DRF view with the same
API-key authentication, region-free throttle and error handling as every /api/v1/ endpoint, doing
one indexed read (a customer by primary key)."""

from django.urls import path
from rest_framework.response import Response

from aftersales.models import Customer
from config.api.base import ApiView
from config.urls import urlpatterns as project_urlpatterns


class FloorView(ApiView):
    def get(self, request, user_id):
        found = Customer.objects.filter(pk=user_id).values_list("user_id", flat=True).first()
        return Response({"user_id": found})


urlpatterns = [path("bench/floor/<str:user_id>/", FloorView.as_view()), *project_urlpatterns]
