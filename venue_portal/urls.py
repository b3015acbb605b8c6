from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "venue_portal"
admin.site.site_title = "venue_portal"
admin.site.index_title = "Box office administration"
# The ticket list needs the width more than a second copy of the menu.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:home"), name="root"),
    path("tickets/", include("tickets.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
