from rest_framework_api_key.permissions import BaseHasAPIKey

from aftersales.models import ApiClient


class HasApiClientKey(BaseHasAPIKey):
    model = ApiClient
