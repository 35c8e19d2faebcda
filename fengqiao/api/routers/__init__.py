"""The API's routers, one module per area; ``fengqiao.api.api`` mounts them."""
