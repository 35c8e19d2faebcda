from ninja import NinjaAPI

api = NinjaAPI(title="Fengqiao API", version="1", urls_namespace="api")
