from django import template

register = template.Library()


@register.filter
def errors_for(errors, name):
    """The messages for one field of an errors dict (a template cannot index by a variable)."""
    if not errors:
        return []
    return errors.get(name, [])


@register.filter
def value_of(values, name):
    if not values:
        return ""
    value = values.get(name, "")
    return "" if value is None else value
