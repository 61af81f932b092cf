"""The Atom feed of community news (``/news/feed/``), with Django's syndication framework."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from . import selectors


class NewsFeed(Feed):
    feed_type = Atom1Feed
    title = _("芷江西路街道 · 社区要闻")
    subtitle = _("街道各办公室撰写的社区新闻")

    def link(self):
        return reverse("news:list")

    def items(self):
        return selectors.published().order_by("-dated", "-pk")[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return "\n".join(item.paragraphs[:2])

    def item_link(self, item):
        return reverse("news:detail", args=[item.pk])

    def item_pubdate(self, item):
        return item.published_at

    def item_author_name(self, item):
        return item.office

    def item_categories(self, item):
        return [item.office]
