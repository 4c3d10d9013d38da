"""Public privacy pages: the cookie banner's answer and the policies' published versions."""

app_name = "notice"
urlpatterns: list = []
