from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("issue/", views.issue, name="issue"),
    path("showing/", views.showing, name="showing"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/refresh/", views.refresh, name="refresh"),
    path("<int:pk>/reconcile/", views.reconcile, name="reconcile"),
    path("<int:pk>/void/", views.void, name="void"),
]
