from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`counts|get_item:pk`: a dict lookup by a variable key, 0 when absent."""
    return mapping.get(key, 0)
