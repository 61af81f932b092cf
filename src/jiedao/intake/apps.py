from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def home_page_forget(**_signal_kwargs) -> None:
    """A signal receiver (kept at module level: signals hold their receivers weakly)."""
    from jiedao.lib.page_cache import shared_pages_forget

    shared_pages_forget(["home"])


class IntakeConfig(AppConfig):
    name = "jiedao.intake"
    label = "intake"
    verbose_name = _("线上申请")

    def ready(self):
        from .hardship import HARDSHIP
        from .service_types import service_type_register

        service_type_register(HARDSHIP)

        # The approved applicants' list that a public notice (公示) may show (public_list.py).
        from jiedao.lib.public_lists import list_source_register
        from jiedao.lib.resident_phones import resident_phone_source_register

        from .public_list import APPROVED_LIST, resident_phones

        list_source_register(APPROVED_LIST)
        resident_phone_source_register(resident_phones)

        # Who acts when a case changes, inside the writing transaction (events.py says why).
        from .endings import case_ended_on_case_event
        from .events import case_events
        from .sms import sms_on_case_event
        from .tallies import tallies_on_case_event

        case_events.subscribe(tallies_on_case_event)
        case_events.subscribe(sms_on_case_event)
        # A decided or paid case has ended: lib.case_endings' topic, for the ratings (好差评).
        case_events.subscribe(case_ended_on_case_event)

        # What the cached home page shows (lib.page_cache) is forgotten when any of it is edited,
        # from the admin or a command alike. Cache upkeep only: no business rule hangs on these.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from jiedao.core.models import Block, Neighbourhood

        from .models import Category, DocumentType, Programme
        for model in (Programme, Category, DocumentType, Block, Neighbourhood):
            post_save.connect(home_page_forget, sender=model, dispatch_uid=f"public-pages-{model.__name__}-save")
            post_delete.connect(home_page_forget, sender=model, dispatch_uid=f"public-pages-{model.__name__}-delete")
        for through in (Programme.neighbourhoods.through, Programme.blocks.through,
                        Programme.common_documents.through, Category.documents.through):  # fmt: skip
            m2m_changed.connect(home_page_forget, sender=through, dispatch_uid=f"public-pages-{through.__name__}")
