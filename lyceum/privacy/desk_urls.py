"""The request desk (P47, P30): public request form, staff queue, organisation queues."""

app_name = "desk"
urlpatterns: list = []
