from django.urls import path

from lyceum.learning import report_views, space_views, views

app_name = "learning"
urlpatterns = [
    path("courses/", views.catalogue, name="catalogue"),
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("timetable/", views.timetable, name="timetable"),
    path("timetable/feed/", views.feed_create, name="feed_create"),
    path("timetable/feed/off/", views.feed_revoke, name="feed_revoke"),
    path("timetable/<str:token>.ics", views.feed, name="feed"),
    path("join/", views.join, name="join_code"),
    path("join/<str:token>/", views.join_invitation, name="join"),
    path("my-report/", report_views.my_report, name="my_report"),
    path("my-report.<str:fmt>", report_views.my_report, name="my_report"),
    path("classes/<int:pk>/", space_views.class_space, name="class"),
    path("classes/<int:pk>/enrol/", views.class_enrol, name="enrol"),
    path("classes/<int:pk>/edit/", views.class_edit, name="class_edit"),
    path("classes/<int:pk>/lessons/new/", views.lesson_new, name="lesson_new"),
    path("classes/<int:pk>/lessons/<int:lesson_pk>/", views.lesson_edit, name="lesson_edit"),
    path(
        "classes/<int:pk>/lessons/<int:lesson_pk>/materials/",
        views.material_add,
        name="material_add",
    ),
    path(
        "classes/<int:pk>/lessons/<int:lesson_pk>/materials/<int:material_pk>/delete/",
        views.material_delete,
        name="material_delete",
    ),
    path(
        "classes/<int:pk>/materials/<int:material_pk>/",
        space_views.material_file,
        name="material",
    ),
    path(
        "classes/<int:pk>/lessons/<int:lesson_pk>/attendance/",
        views.attendance,
        name="attendance",
    ),
    path("classes/<int:pk>/invitations/", views.invitations, name="invitations"),
    path("classes/<int:pk>/new-code/", views.class_code_renew, name="class_code_renew"),
    path(
        "classes/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "classes/<int:pk>/learners/<int:user_pk>/new-code/",
        views.pseudonym_code_reset,
        name="pseudonym_code_reset",
    ),
    path(
        "classes/<int:pk>/learners/<int:user_pk>/remove/",
        views.enrolment_remove,
        name="enrolment_remove",
    ),
    path("classes/<int:pk>/report/", report_views.class_report, name="class_report"),
    path("classes/<int:pk>/report.<str:fmt>", report_views.class_report, name="class_report"),
    path("classes/<int:pk>/messages/", space_views.message_post, name="message_post"),
    path(
        "classes/<int:pk>/messages/<int:message_pk>/delete/",
        space_views.message_delete,
        name="message_delete",
    ),
    path("classes/<int:pk>/announcements/", space_views.announcement_post, name="announce"),
    path("classes/<int:pk>/files/", space_views.file_upload, name="file_upload"),
    path("classes/<int:pk>/files/<int:file_pk>/", space_views.file_download, name="file"),
    path(
        "classes/<int:pk>/files/<int:file_pk>/delete/",
        space_views.file_delete,
        name="file_delete",
    ),
    path("classes/<int:pk>/contact/", space_views.contact_sharing, name="contact_sharing"),
    path("organisations/<slug:slug>/report/", report_views.client_report, name="client_report"),
    path(
        "organisations/<slug:slug>/report.<str:fmt>",
        report_views.client_report,
        name="client_report",
    ),
    path("organisations/<slug:slug>/contracts/", report_views.contracts, name="contracts"),
    path(
        "organisations/<slug:slug>/contracts/<int:contract_pk>/seats/",
        report_views.seats,
        name="seats",
    ),
    path(
        "organisations/<slug:slug>/contracts/<int:contract_pk>/seats/<int:enrolment_pk>/release/",
        report_views.seat_release,
        name="seat_release",
    ),
]
