from django.contrib.auth.models import Group, Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

CURATOR_GROUP = "curator"
# Curators add and change statistics and judgements, add speakers, import documents (a new draft
# briefing and its source) and publish briefings; they delete nothing, and categories and
# countries they may only look at.
CURATOR_PERMISSIONS = [
    "add_statistic", "change_statistic", "add_assessment", "change_assessment",
    "add_speech", "change_speech", "view_speech", "add_speaker", "view_speaker", "add_source", "view_source",
    "view_threatcategory", "view_country",
]


def curator_permissions():
    return Permission.objects.filter(content_type__app_label="briefings", codename__in=CURATOR_PERMISSIONS)


class Command(BaseCommand):
    help = (
        "Create the curator group, or set its permissions back to exactly the curator's (idempotent). "
        "With --user, also put that user in the group and let them into the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Username of an existing user to make a curator.")

    def handle(self, *args, user, verbosity, **options):
        with transaction.atomic():
            group, created = Group.objects.get_or_create(name=CURATOR_GROUP)
            permissions = list(curator_permissions())
            if len(permissions) != len(CURATOR_PERMISSIONS):
                raise CommandError("Some curator permissions are missing; run `manage.py migrate` first.")
            group.permissions.set(permissions)
            if user:
                member = User.objects.filter(username=user).first()
                if member is None:
                    raise CommandError(f"No user called “{user}”. Create it first (manage.py createsuperuser "
                                       "or the admin), then run this again.")
                member.is_staff = True
                member.save(update_fields=["is_staff"])
                member.groups.add(group)
        if verbosity:
            action = "Created" if created else "Updated"
            self.stdout.write(self.style.SUCCESS(f"{action} group “{CURATOR_GROUP}” with {len(permissions)} permissions."))
            if user:
                self.stdout.write(f"{user} is now a curator and can sign in to the admin.")
