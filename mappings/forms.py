"""What a merchant types on the settings tabs; each form turns its input into a document section."""

import gettext

import pycountry
from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from .catalog import (
    ECONOMIC_FIELDS,
    FILTERABLE_ECONOMIC_FIELDS,
    MAPPABLE_ECONOMIC_FIELDS,
    METADATA_PREFIX,
    STRIPE_FIELDS,
    metadata_key_problem,
    stripe_field_label,
)
from .document import (
    ACCOUNT_DEFAULTS,
    READ_MINUTES_DEFAULT,
    READ_MINUTES_MAX,
    READ_MINUTES_MIN,
    NotADocument,
    document_from_json,
)
from .engine import FieldMapping
from .engine.two_way import inversion_problem
from .vocabulary import ConflictRule, Direction, NumberMode, OnAmbiguous, OnEmptyValue

METADATA_CHOICE = "metadata"
STRIPE_FIELD_CHOICES = [*STRIPE_FIELDS.items(), (METADATA_CHOICE, gettext_lazy("Metadata key (type it)"))]
MAX_IMPORT_BYTES = 1_000_000


def split_stripe_field(path: str | None) -> tuple[str, str]:
    """A stored path as the (select, metadata key) pair the forms show."""
    if path and path.startswith(METADATA_PREFIX):
        return METADATA_CHOICE, path.removeprefix(METADATA_PREFIX)
    return path or "", ""


def _joined_stripe_field(form: forms.Form, choice_field: str, key_field: str) -> str | None:
    """The path from a select + key pair; a bad metadata key becomes an error on the key input."""
    choice = form.cleaned_data.get(choice_field)
    if choice != METADATA_CHOICE:
        return choice or None
    key = form.cleaned_data.get(key_field, "")
    problem = metadata_key_problem(key)
    if problem:
        form.add_error(key_field, problem[0].upper() + problem[1:] + ".")
        return None
    return METADATA_PREFIX + key


def _key_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "metadata-key", "autocomplete": "off"}),
    )


class MatchRuleForm(forms.Form):
    stripe_field = forms.ChoiceField(label=gettext_lazy("Stripe field"), choices=STRIPE_FIELD_CHOICES)
    metadata_key = _key_field(gettext_lazy("Metadata key"))
    economic_field = forms.ChoiceField(
        label=gettext_lazy("e-conomic field"),
        choices=[(name, ECONOMIC_FIELDS[name].label) for name in FILTERABLE_ECONOMIC_FIELDS],
    )

    def clean(self):
        cleaned = super().clean()
        cleaned["path"] = _joined_stripe_field(self, "stripe_field", "metadata_key")
        return cleaned

    def raw_row(self) -> dict:
        """What was typed, valid or not: rows are moved and removed before anything is saved."""
        return {name: self[name].value() or "" for name in self.fields}


MatchRuleFormSet = forms.formset_factory(MatchRuleForm, extra=0, min_num=1, validate_min=True)


def rule_rows(rules: list[dict]) -> list[dict]:
    rows = []
    for rule in rules:
        choice, key = split_stripe_field(rule["stripe_field"])
        rows.append({"stripe_field": choice, "metadata_key": key, "economic_field": rule["economic_field"]})
    return rows


class OnEmptyValueForm(forms.Form):
    on_empty_value = forms.ChoiceField(
        label=gettext_lazy("When the Stripe value of a rule is empty"),
        choices=[
            (
                OnEmptyValue.FAIL,
                gettext_lazy(
                    "Fail: record a clear error for that customer, so you can fill the field in Stripe"
                ),
            ),
            (OnEmptyValue.NEXT_RULE, gettext_lazy("Try the next rule (fail only if no rule has a value)")),
        ],
        widget=forms.RadioSelect,
    )
    # Not required: an older form (or a script) that leaves it out keeps what the document says.
    on_ambiguous = forms.ChoiceField(
        label=gettext_lazy("When several e-conomic customers match"),
        choices=[
            (
                OnAmbiguous.REVIEW,
                gettext_lazy("Wait in the review queue, so you choose which one (recommended)"),
            ),
            (OnAmbiguous.FAIL, gettext_lazy("Fail: record an error naming the candidates")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )


class NumberForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Customer numbers"),
        choices=[
            (NumberMode.ECONOMIC, gettext_lazy("Let e-conomic create the number (recommended)")),
            (NumberMode.STRIPE, gettext_lazy("Use the number from a Stripe field")),
        ],
        widget=forms.RadioSelect,
    )
    store = forms.ChoiceField(
        label=gettext_lazy("Store the generated number in Stripe"),
        choices=[
            ("nowhere", gettext_lazy("Nowhere")),
            ("metadata", gettext_lazy("In a Stripe metadata key")),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    store_key = _key_field(gettext_lazy("Metadata key for the generated number"))
    number_field = forms.ChoiceField(
        label=gettext_lazy("Stripe field holding the number"),
        choices=[("", "—"), *STRIPE_FIELD_CHOICES],
        required=False,
    )
    number_key = _key_field(gettext_lazy("Metadata key holding the number"))

    @classmethod
    def initial_from(cls, section: dict) -> dict:
        store = section.get("store_in_stripe_field")
        choice, key = split_stripe_field(section.get("stripe_field"))
        return {
            "mode": section["mode"],
            "store": "metadata" if store else "nowhere",
            "store_key": store.removeprefix(METADATA_PREFIX) if store else "economic_customer_number",
            "number_field": choice,
            "number_key": key,
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == NumberMode.STRIPE:
            if not cleaned.get("number_field"):
                self.add_error("number_field", _("Choose the Stripe field that holds the customer number."))
            cleaned["section"] = {
                "mode": NumberMode.STRIPE,
                "stripe_field": _joined_stripe_field(self, "number_field", "number_key"),
                "store_in_stripe_field": None,
            }
        elif cleaned.get("mode") == NumberMode.ECONOMIC:
            store = None
            if cleaned.get("store") == "metadata":
                store = _joined_stripe_field(self, "store", "store_key")
            cleaned["section"] = {
                "mode": NumberMode.ECONOMIC,
                "stripe_field": None,
                "store_in_stripe_field": store,
            }
        return cleaned


def _country_choices() -> list[tuple[str, str]]:
    """Countries named in the reader's language (pycountry carries ISO 3166's translations)."""
    names = gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[get_language() or "en"], fallback=True
    )
    return sorted(
        ((c.alpha_2, names.gettext(c.name)) for c in pycountry.countries), key=lambda choice: choice[1]
    )


class DefaultsForm(forms.Form):
    """Dropdowns filled from the merchant's e-conomic lists (see services.economic_lists_for)."""

    LISTS = {
        "payment_terms_number": ("payment_terms", gettext_lazy("Payment terms")),
        "customer_group_number": ("customer_groups", gettext_lazy("Customer group")),
        "vat_zone_number": ("vat_zones", gettext_lazy("VAT zone")),
        "currency": ("currencies", gettext_lazy("Currency")),
        "layout_number": ("layouts", gettext_lazy("Invoice layout")),
    }
    ZONES = {
        "domestic": gettext_lazy("Zone for customers in the home country"),
        "eu": gettext_lazy("Zone for EU customers"),
        "abroad": gettext_lazy("Zone for customers outside the EU"),
    }

    def __init__(self, *args, lists: dict, saved: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale: dict[str, object] = {}
        for name, (list_name, label) in self.LISTS.items():
            self.fields[name] = self._choice(name, label, lists[list_name], saved.get(name))
        self.fields["vat_by_country"] = forms.BooleanField(
            label=_("Choose the VAT zone from the customer's country"), required=False
        )
        self.fields["home_country"] = forms.ChoiceField(
            label=_("Your home country"), choices=[("", "—"), *_country_choices()], required=False
        )
        by_country = saved.get("vat_zone_by_country") or {}
        for zone, label in self.ZONES.items():
            self.fields[zone] = self._choice(zone, label, lists["vat_zones"], by_country.get(zone))
        self.fields["vat_zone_number"].help_text = _(
            "Used for every new customer, or, with the country choice below, for customers without a country."
        )

    def _choice(self, name: str, label: str, items: list[dict], saved) -> forms.TypedChoiceField:
        choices = [(item["value"], item["label"]) for item in items]
        if saved is not None and saved not in {item["value"] for item in items}:
            # Kept on screen rather than silently dropped; saving asks for a value that exists.
            self.stale[name] = saved
            choices.append((saved, _("%(value)s (no longer found in e-conomic)") % {"value": saved}))
        return forms.TypedChoiceField(
            label=label,
            choices=[("", _("— Not set —")), *choices],
            coerce=int if name != "currency" else str,
            empty_value=None,
            required=False,
        )

    @staticmethod
    def initial_from(defaults: dict, *, suggested_currency: str = "") -> dict:
        """The saved defaults; a currency never chosen is preselected as the agreement's own."""
        by_country = defaults.get("vat_zone_by_country") or {}
        return {
            **{name: defaults.get(name) for name in DefaultsForm.LISTS},
            "currency": defaults.get("currency") or suggested_currency or None,
            "vat_by_country": bool(by_country),
            "home_country": by_country.get("home_country", "DK"),
            **{zone: by_country.get(zone) for zone in DefaultsForm.ZONES},
        }

    def clean(self):
        cleaned = super().clean()
        for name, value in self.stale.items():
            if cleaned.get(name) == value:
                self.add_error(
                    name,
                    _("%(value)s is no longer in your e-conomic agreement: choose another one.")
                    % {"value": value},
                )
        by_country = None
        if cleaned.get("vat_by_country"):
            for name in ("home_country", *self.ZONES):
                if cleaned.get(name) in (None, ""):
                    self.add_error(name, _("Needed when the VAT zone follows the country."))
            by_country = {
                "home_country": cleaned.get("home_country"),
                **{zone: cleaned.get(zone) for zone in self.ZONES},
            }
        cleaned["section"] = {
            **{name: cleaned.get(name) for name in self.LISTS},
            "vat_zone_by_country": by_country,
        }
        return cleaned


class AccountOverridesForm(forms.Form):
    """What one of several Stripe accounts sets for itself (the document's `accounts.<name>`):
    its new customers' currency, VAT zone, payment terms and layout, and where their number goes."""

    LISTS = {name: DefaultsForm.LISTS[name] for name in ACCOUNT_DEFAULTS}

    def __init__(self, *args, lists: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (list_name, label) in self.LISTS.items():
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=[("", _("— As above —")), *((i["value"], i["label"]) for i in lists[list_name])],
                coerce=int if name != "currency" else str,
                empty_value=None,
                required=False,
            )
        self.fields["number_key"] = _key_field(_("Store the e-conomic number in metadata key"))
        self.fields["number_key"].help_text = _("Empty: where your Customer number tab says.")

    @staticmethod
    def initial_from(override: dict) -> dict:
        store = (override.get("customer_number") or {}).get("store_in_stripe_field") or ""
        return {**(override.get("defaults") or {}), "number_key": store.removeprefix(METADATA_PREFIX)}

    def clean(self):
        cleaned = super().clean()
        defaults = {name: cleaned[name] for name in self.LISTS if cleaned.get(name) is not None}
        override = {"defaults": defaults} if defaults else {}
        if cleaned.get("number_key"):
            override["customer_number"] = {"store_in_stripe_field": METADATA_PREFIX + cleaned["number_key"]}
        cleaned["override"] = override
        return cleaned


class FieldMappingsForm(forms.Form):
    """One row per e-conomic field: which Stripe field fills it, whether updates follow, and which
    way it flows; below the rows, the conflict rule for fields set to both ways and how often
    e-conomic is read for changes."""

    UPDATE_CHOICES = [
        ("keep", gettext_lazy("Keep updated from Stripe")),
        ("create", gettext_lazy("Set on create only")),
    ]
    DIRECTION_CHOICES = [
        (Direction.STRIPE_TO_ECONOMIC, gettext_lazy("Stripe → e-conomic")),
        (Direction.ECONOMIC_TO_STRIPE, gettext_lazy("e-conomic → Stripe")),
        (Direction.BOTH, gettext_lazy("Both ways")),
    ]
    CONFLICT_CHOICES = [
        (ConflictRule.NEWEST_WINS, gettext_lazy("The newest change wins")),
        (ConflictRule.STRIPE_WINS, gettext_lazy("Stripe wins")),
        (ConflictRule.ECONOMIC_WINS, gettext_lazy("e-conomic wins")),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MAPPABLE_ECONOMIC_FIELDS:
            label = ECONOMIC_FIELDS[name].label
            self.fields[f"{name}__stripe"] = forms.ChoiceField(
                label=_("Stripe field for %(field)s") % {"field": label},
                choices=[("", _("Not mapped")), *STRIPE_FIELD_CHOICES],
                required=False,
            )
            self.fields[f"{name}__key"] = _key_field(_("Metadata key for %(field)s") % {"field": label})
            self.fields[f"{name}__update"] = forms.ChoiceField(
                label=_("Updates of %(field)s") % {"field": label}, choices=self.UPDATE_CHOICES
            )
            self.fields[f"{name}__direction"] = forms.ChoiceField(
                label=_("Direction of %(field)s") % {"field": label},
                choices=self.DIRECTION_CHOICES,
                initial=Direction.STRIPE_TO_ECONOMIC,
                required=False,  # left out: Stripe → e-conomic, as before directions existed
            )
        self.fields["conflict_rule"] = forms.ChoiceField(
            label=_("When both sides changed a field set to both ways"),
            choices=self.CONFLICT_CHOICES,
            initial=ConflictRule.NEWEST_WINS,
            required=False,
        )
        self.fields["economic_read_minutes"] = forms.IntegerField(
            label=_("Read e-conomic for changes every (minutes)"),
            min_value=READ_MINUTES_MIN,
            max_value=READ_MINUTES_MAX,
            initial=READ_MINUTES_DEFAULT,
            required=False,
        )

    @staticmethod
    def initial_from(mappings: list[dict], sync: dict | None = None) -> dict:
        sync = sync or {}
        initial = {f"{name}__update": "keep" for name in MAPPABLE_ECONOMIC_FIELDS}
        initial["conflict_rule"] = sync.get("conflict_rule", ConflictRule.NEWEST_WINS)
        initial["economic_read_minutes"] = sync.get("economic_read_minutes", READ_MINUTES_DEFAULT)
        for mapping in mappings:
            name = mapping["economic_field"]
            initial[f"{name}__stripe"], initial[f"{name}__key"] = split_stripe_field(
                mapping.get("stripe_field")
            )
            initial[f"{name}__update"] = "keep" if mapping.get("keep_updated", True) else "create"
            initial[f"{name}__direction"] = mapping.get("direction", Direction.STRIPE_TO_ECONOMIC)
        return initial

    def rows(self) -> list[dict]:
        rows = []
        for name in MAPPABLE_ECONOMIC_FIELDS:
            stripe, key, update = self[f"{name}__stripe"], self[f"{name}__key"], self[f"{name}__update"]
            direction = self[f"{name}__direction"]
            choice = stripe.value() or None
            path = METADATA_PREFIX + (key.value() or "") if choice == METADATA_CHOICE else choice
            not_offered = inversion_problem(FieldMapping(name, path, True)) if path else None
            rows.append(
                {
                    "field": ECONOMIC_FIELDS[name],
                    "stripe": stripe,
                    "key": key,
                    "update": update,
                    "direction": direction,
                    "mapped_label": stripe_field_label(path),
                    # Whether updates follow means nothing for a field that is not filled at all.
                    "update_label": self._update_label(update.value(), direction.value()) if path else "—",
                    "direction_label": dict(self.DIRECTION_CHOICES).get(direction.value(), "")
                    if path
                    else "—",
                    # Why e-conomic → Stripe is not offered for this mapping (shown on the row).
                    "not_offered": not_offered,
                    "has_errors": bool(stripe.errors or key.errors or update.errors or direction.errors),
                }
            )
        return rows

    def _update_label(self, update: str, direction: str) -> str:
        if direction == Direction.ECONOMIC_TO_STRIPE:
            # Stripe fills it when the customer is created; after that only e-conomic's changes flow.
            return str(_("Set on create; then from e-conomic"))
        return dict(self.UPDATE_CHOICES).get(update, "")

    def _direction_label(self, value: str) -> str:
        return dict(self.DIRECTION_CHOICES).get(value, "")

    def clean(self):
        cleaned = super().clean()
        mappings = []
        for name in MAPPABLE_ECONOMIC_FIELDS:
            path = _joined_stripe_field(self, f"{name}__stripe", f"{name}__key")
            if not path:
                continue
            keep = cleaned.get(f"{name}__update") != "create"
            direction = cleaned.get(f"{name}__direction") or Direction.STRIPE_TO_ECONOMIC
            problem = inversion_problem(FieldMapping(name, path, keep, Direction(direction)))
            if direction != Direction.STRIPE_TO_ECONOMIC and problem:
                self.add_error(f"{name}__direction", problem)
            mappings.append(
                {"economic_field": name, "stripe_field": path, "keep_updated": keep, "direction": direction}
            )
        cleaned["section"] = mappings
        cleaned["sync"] = {
            "conflict_rule": cleaned.get("conflict_rule") or ConflictRule.NEWEST_WINS,
            "economic_read_minutes": cleaned.get("economic_read_minutes") or READ_MINUTES_DEFAULT,
        }
        return cleaned


class PreviewForm(forms.Form):
    customer = forms.CharField(
        label=gettext_lazy("Stripe customer id"),
        max_length=255,
        widget=forms.TextInput(attrs={"placeholder": "cus_…", "autocomplete": "off"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Settings file (JSON, as exported)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 1 MB; a settings export is a few kilobytes.")
            )
        try:
            return document_from_json(upload.read().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text: export it again.")) from exc
        except NotADocument as exc:
            raise forms.ValidationError(_("The file is %(problem)s.") % {"problem": exc}) from exc
