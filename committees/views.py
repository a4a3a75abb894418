import io

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.once import sent_once
from projects.access import Right
from projects.versions import EditVersion, Part, last_ids, stale
from tdi.downloads import attachment, disposition
from tdi.http import posted_id, redirect_after_post
from tdi.pdf import PdfBudgetExceeded, archived_pdf_response, pdf_response

from .board_pack import gather_pack, render_board_pack, start_job
from .documents import invitation_ics, render_agenda_pdf, render_minutes_pdf
from .forms import (
    ActionForm,
    AddItemForm,
    AddProjectForm,
    AttendanceForm,
    CancelForm,
    CommitteeForm,
    CommitteeRulesForm,
    DecisionForm,
    HoldForm,
    ItemUpdateForm,
    MeetingForm,
    MemberForm,
    MinutesForm,
    ReplyForm,
    ReserveFormSet,
)
from .models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeMember,
    Dispatch,
    Invitation,
    Meeting,
    ReplyLinkError,
)
from .notifications import retry_unsent


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- committees ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@sent_once
def committee_list(request: HttpRequest) -> HttpResponse:
    if request.territory is None:
        raise Http404("Aucun territoire")
    committees = (
        Committee.objects.visible_to(request.access)
        .filter(territory=request.territory)
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
    )
    can_manage = request.access.manages(request.territory.pk)
    form = CommitteeForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Seule la coordination peut créer un comité.")
        if form.is_valid():
            committee = form.save(commit=False)
            committee.territory = request.territory
            committee._change_reason = "Création du comité"
            committee.save()
            messages.success(request, f"Le comité « {committee} » a été créé.")
            return redirect(committee)
    upcoming = (
        Meeting.objects.visible_to(request.access)
        .filter(committee__territory=request.territory, starts_at__gte=timezone.now())
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("committee")
        .order_by("starts_at")[:10]
    )
    return render(
        request,
        "committees/committee_list.html",
        {"committees": committees, "form": form, "can_manage": can_manage, "upcoming": upcoming},
    )


def get_committee(request: HttpRequest, pk: int) -> Committee:
    return get_object_or_404(
        Committee.objects.visible_to(request.access).select_related("territory"), pk=pk
    )


@require_http_methods(["GET", "POST"])
@sent_once
def committee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    committee = get_committee(request, pk)
    can_manage = committee.can_manage(request.user)
    member_form = MemberForm(territory=committee.territory, prefix="membre")
    meeting_form = MeetingForm(prefix="seance")
    rules_form = CommitteeRulesForm(instance=committee, prefix="regles")
    rules = ("quorum", "requires_chair_approval")
    rules_version = EditVersion(Part("les règles", committee.history.all(), rules))
    rules_conflict = []
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Seule la coordination peut gérer ce comité.")
        if request.POST.get("action") == "rules":
            rules_form = CommitteeRulesForm(request.POST, instance=committee, prefix="regles")
            rules_conflict = stale(request, rules_version)
            if rules_form.is_valid() and not rules_conflict:
                committee = rules_form.save(commit=False)
                committee._change_reason = "Règles de délibération modifiées"
                committee.save()
                messages.success(request, "Les règles du comité ont été enregistrées.")
                return redirect(committee)
        elif "membre-role" in request.POST:
            member_form = MemberForm(request.POST, territory=committee.territory, prefix="membre")
            if member_form.is_valid():
                member = member_form.save(commit=False)
                member.committee = committee
                member._change_reason = "Ajout d'un membre"
                member.save()
                messages.success(request, f"{member.display_name} a été ajouté·e au comité.")
                return redirect(committee)
        else:
            meeting_form = MeetingForm(request.POST, prefix="seance")
            if meeting_form.is_valid():
                meeting = meeting_form.save(commit=False)
                meeting.committee = committee
                meeting._change_reason = "Création de la séance"
                meeting.save()
                messages.success(request, f"La séance {meeting.title} a été créée.")
                return redirect(meeting)
    members = committee.members.select_related("user", "organisation").order_by(
        "-is_active", "role"
    )
    meetings = Meeting.objects.visible_to(request.access).filter(committee=committee)
    return render(
        request,
        "committees/committee_detail.html",
        {
            "committee": committee,
            "members": members,
            "meetings": meetings.annotate(item_count=Count("items")).order_by("-starts_at"),
            "can_manage": can_manage,
            "member_form": member_form,
            "meeting_form": meeting_form,
            "rules_form": rules_form,
            "rules_version": rules_version,
            "rules_conflict": rules_conflict,
        },
        status=409 if rules_conflict else 200,
    )


@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    committee = get_committee(request, pk)
    member = get_object_or_404(committee.members, pk=member_pk)
    if not committee.can_manage(request.user):
        raise PermissionDenied("Seule la coordination peut gérer ce comité.")
    form = MemberForm(request.POST or None, instance=member, territory=committee.territory)
    version = EditVersion(Part("le membre", CommitteeMember.history.filter(id=member.pk)))
    conflict = stale(request, version)
    if request.method == "POST" and form.is_valid() and not conflict:
        member = form.save(commit=False)
        member._change_reason = "Modification d'un membre"
        member.save()
        messages.success(request, "Le membre a été mis à jour.")
        return redirect(committee)
    return render(
        request,
        "committees/member_form.html",
        {
            "committee": committee,
            "member": member,
            "form": form,
            "version": version,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


# --- meetings ------------------------------------------------------------------------


def get_meeting(request: HttpRequest, pk: int) -> Meeting:
    """The meeting if the user may read it; otherwise 404, as for a missing id."""
    queryset = Meeting.objects.visible_to(request.access).select_related(
        "committee", "committee__territory", "validated_by"
    )
    return get_object_or_404(queryset, pk=pk)


def get_managed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = get_meeting(request, pk)
    meeting.refuse_if_frozen()
    if not meeting.can_manage(request.user):
        raise PermissionDenied("Seule la coordination du territoire peut gérer cette séance.")
    return meeting


def meeting_context(request: HttpRequest, meeting: Meeting, **overrides) -> dict:
    can_manage = meeting.can_manage(request.user) and not meeting.is_locked
    items = list(
        meeting.items.select_related("project", "project__lead_organisation").prefetch_related(
            "reserves__owner", Prefetch("actions", ActionItem.objects.order_by("pk"))
        )
    )
    access = request.access
    for item in items:
        # Decisions, motives and reserves of an item, for whoever may read them (DESIGN §8).
        item.decision_visible = access.reads_decision(item, meeting)
    reads_debates = access.reads_debates(meeting)
    if can_manage and meeting.agenda_is_open:
        # The version each item's rapporteur-and-duration form is opened on, in one query.
        last = last_ids(AgendaItem.history.filter(meeting_id=meeting.pk), "id")
        for item in items:
            item.version = item_version(item, ids=[last.get(item.pk) or 0])
    territory = meeting.committee.territory
    held = meeting.is_held and can_manage
    decision_forms = {}
    if held:
        for item in items:
            initial = {
                "notes": item.notes,
                "decision": item.decision,
                "motive": item.motive,
                "votes_for": item.votes_for,
                "votes_against": item.votes_against,
                "votes_abstain": item.votes_abstain,
            }
            reserve_forms = (
                ReserveFormSet(prefix=f"reserves-{item.pk}", form_kwargs={"territory": territory})
                if item.project_id
                else None
            )
            decision_forms[item.pk] = (
                DecisionForm(initial=initial, item=item, prefix=f"item-{item.pk}"),
                reserve_forms,
            )
    decision_forms.update(overrides.pop("decision_forms", {}))
    attendances = list(meeting.attendances.select_related("member__user", "member__organisation"))
    active_members = None  # the quorum loads them when the meeting is held
    # Nobody is convened before the convocation: no query for a meeting in preparation.
    convened = meeting.convened_at is not None
    invitations = (
        list(
            meeting.invitations.select_related("member__user", "user", "proxy_to__user").order_by(
                "member__role", "email"
            )
        )
        if convened
        else []
    )
    if held:
        # Seizing attendance: every active member, with what was recorded so far, else what
        # they answered to the convocation.
        replies = {i.member_id: i.as_attendance() for i in invitations if i.member_id}
        recorded = {a.member_id: a for a in attendances}
        members = active_members = list(
            meeting.committee.members.filter(is_active=True).select_related("user", "organisation")
        )
        # After a refused save, the forms as typed; otherwise what was recorded, or nothing.
        typed = overrides.pop("attendance_forms", {})
        attendance_rows = [
            (
                m,
                recorded.get(m.pk),
                typed.get(m.pk)
                or AttendanceForm(
                    instance=recorded.get(m.pk)
                    or replies.get(m.pk)
                    or Attendance(meeting=meeting, member=m),
                    prefix=f"presence-{m.pk}",
                ),
            )
            for m in members
        ]
    else:
        # Afterwards, what was recorded: later changes to the committee do not rewrite it.
        attendance_rows = [(a.member, a, None) for a in attendances]
    user = request.user
    mine = next(
        (i for i in invitations if user.pk in (i.user_id, i.member and i.member.user_id)), None
    )
    chair_seat = meeting.chair_seat_of(user) if meeting.is_held else None
    dispatches = list(meeting.dispatches.all()) if convened and meeting.can_manage(user) else []
    # What the chairs approve, computed once for the panel and the validation problems.
    approving = meeting.is_held and meeting.committee.requires_chair_approval
    digest = meeting.draft_digest() if approving else ""
    context = {
        "meeting": meeting,
        "committee": meeting.committee,
        "items": [(item, decision_forms.get(item.pk)) for item in items],
        # Before the meeting: who is convened, their answers, the quorum they promise.
        "invitations": invitations if meeting.can_manage(user) else [],
        "expected_quorum": meeting.expected_quorum(invitations)
        if meeting.status == Meeting.Status.CONVENED
        else None,
        "my_invitation": mine,
        "reply_form": overrides.pop("reply_form", None)
        or (ReplyForm(invitation=mine) if mine and not mine.answer_refusal() else None),
        "dispatches": dispatches,
        "unsent_count": sum(d.status != Dispatch.Status.SENT for d in dispatches),
        "dispatch_summary": ", ".join(
            f"{label.lower()} : {n}"
            for value, label in Dispatch.Status.choices
            if (n := sum(d.status == value for d in dispatches))
        ),
        # The chairs' approval of the draft, where the committee requires it.
        "approvals": list(meeting.approvals.all())
        if meeting.committee.requires_chair_approval
        else [],
        "chair_seat": chair_seat,
        "draft_digest": digest,
        "total_duration": sum(item.duration for item in items),
        "can_manage": can_manage,
        # Action items stay open to follow-up after the minutes are validated.
        "can_follow_up": meeting.can_manage(request.user),
        "agenda_open": can_manage and meeting.agenda_is_open,
        "held": held,
        "add_project_form": AddProjectForm(meeting=meeting, prefix="projet"),
        "add_item_form": AddItemForm(prefix="point"),
        "attendance_rows": attendance_rows,
        "attendance_statuses": Attendance.Status.choices,
        "quorum": meeting.quorum(attendances=attendances, active_members=active_members),
        "minutes_form": MinutesForm(instance=meeting),
        "minutes_version": minutes_version(meeting) if held else None,
        "action_form": ActionForm(prefix="action"),
        "actions": list(meeting.actions.select_related("agenda_item")),
        "carried_over": list(meeting.carried_over_actions()),
        "cancel_form": CancelForm(),
        "hold_form": HoldForm(),
        # Before its day, opening the meeting asks for the motive of the advance.
        "hold_early": meeting.status == Meeting.Status.CONVENED
        and timezone.localdate() < meeting.day,
        "validation_problems": meeting.validation_problems(digest) if held else [],
        "reads_debates": reads_debates,
        "own_decisions": any(item.decision_visible for item in items),
        "reads_minutes_pdf": access.reads_minutes_pdf(meeting),
    }
    context.update(overrides)
    return context


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    return render(request, "committees/meeting_detail.html", meeting_context(request, meeting))


def agenda_response(request: HttpRequest, meeting: Meeting, **overrides) -> HttpResponse:
    """The agenda fragment for htmx; otherwise back to the meeting page."""
    if request.htmx:
        meeting.refresh_from_db()
        context = meeting_context(request, meeting, **overrides)
        return render(request, "committees/meeting_detail.html#agenda", context)
    for error in overrides.get("errors", []):
        messages.error(request, error)
    return redirect(meeting)


@require_POST
@sent_once
def meeting_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    """Every agenda edit: add a project or a free item, change, move or remove an item."""
    meeting = get_managed_meeting(request, pk)
    action = request.POST.get("action")
    errors, overrides = [], {}
    try:
        with transaction.atomic():
            if action == "add_project":
                form = AddProjectForm(request.POST, meeting=meeting, prefix="projet")
                if form.is_valid():
                    meeting.add_project(
                        form.cleaned_data["project"],
                        by=request.user,
                        rapporteur=form.cleaned_data["rapporteur"],
                        duration=form.cleaned_data["duration"],
                    )
                else:
                    overrides["add_project_form"] = form
                    errors.append("Le projet n'a pas été inscrit : corrigez le formulaire.")
            elif action == "add_item":
                form = AddItemForm(request.POST, prefix="point")
                if form.is_valid():
                    meeting.add_item(by=request.user, **form.cleaned_data)
                else:
                    overrides["add_item_form"] = form
                    errors.append("Le point n'a pas été ajouté : corrigez le formulaire.")
            elif action in ("update", "up", "down", "remove"):
                item = get_object_or_404(meeting.items, pk=posted_id(request, "item"))
                if action == "update":
                    meeting.check_agenda_edit(request.user)
                    form = ItemUpdateForm(request.POST, instance=item, prefix=f"edit-{item.pk}")
                    if conflict := stale(request, item_version(item)):
                        errors.append(item_conflict(item, form, conflict))
                    elif form.is_valid():
                        item = form.save(commit=False)
                        item._change_reason = "Point modifié"
                        item.save()
                        meeting._agenda_changed(
                            request.user, f"modification du point « {item.title} »"
                        )
                    else:
                        errors.extend(e for errs in form.errors.values() for e in errs)
                elif action == "remove":
                    meeting.remove_item(item, by=request.user)
                else:
                    meeting.move_item(item, -1 if action == "up" else 1, by=request.user)
            else:
                errors.append("Action inconnue.")
    except ValidationError as error:
        errors.append(error_text(error))
    if not errors and not request.htmx:
        messages.success(request, "L'ordre du jour a été mis à jour.")
    return agenda_response(request, meeting, errors=errors, **overrides)


def item_version(item: AgendaItem, ids=None) -> EditVersion:
    fields = ("rapporteur", "duration")
    part = Part(f"le point « {item.title} »", AgendaItem.history.filter(id=item.pk), fields)
    return EditVersion(part, ids=ids)


def item_conflict(item: AgendaItem, form: ItemUpdateForm, conflict: list[str]) -> str:
    """The inline form is drawn again from the item as it now is: the message keeps what was
    typed, so that nothing is lost."""
    typed = ", ".join(
        f"{form.fields[name].label.lower()} « {form[name].data} »"
        for name in ("rapporteur", "duration")
        if form[name].data not in (None, "")
    )
    return (
        f"Le point « {item.title} » a été modifié depuis que vous avez ouvert le formulaire "
        f"({' ; '.join(conflict)}) : votre saisie ({typed or 'vide'}) n'est pas enregistrée. "
        "Vérifiez les valeurs actuelles, puis enregistrez à nouveau."
    )


@require_POST
def meeting_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Convene, hold, cancel, or validate the minutes."""
    meeting = get_managed_meeting(request, pk)
    action = request.POST.get("action")
    try:
        if action == "convene":
            sent = meeting.convene(by=request.user)
            messages.success(
                request,
                f"La séance est convoquée : {sent} convocation{'s' if sent > 1 else ''} "
                "envoyée" + ("s" if sent > 1 else "") + " (suivi dans « Envois »).",
            )
        elif action == "notify_changes":
            meeting.notify_agenda_changes(by=request.user)
            messages.success(
                request, "Les membres ont été prévenus des modifications de l'ordre du jour."
            )
        elif action == "hold":
            form = HoldForm(request.POST)
            motive = form.cleaned_data["motive"] if form.is_valid() else ""
            meeting.hold(by=request.user, motive=motive)
            messages.success(
                request, "La séance est ouverte : saisissez les présences et les décisions."
            )
        elif action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Le motif d'annulation est obligatoire.")
            meeting.cancel(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(
                request, "La séance a été annulée ; les projets inscrits ont repris leur étape."
            )
        elif action == "validate":
            meeting.validate_minutes(by=request.user)
            messages.success(
                request,
                "Le compte rendu est validé ; la séance est désormais figée. Son PDF archivé "
                "(PDF/A) est proposé sur cette page dès qu'il est produit.",
            )
        else:
            messages.error(request, "Action inconnue.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect_after_post(request, meeting.get_absolute_url())


@require_POST
def item_decision(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_managed_meeting(request, pk)
    item = get_object_or_404(meeting.items.select_related("project"), pk=item_pk)
    territory = meeting.committee.territory
    form = DecisionForm(request.POST, item=item, prefix=f"item-{item.pk}")
    # Only a project takes reserves: information items and points divers render no formset.
    reserves = (
        ReserveFormSet(
            request.POST, prefix=f"reserves-{item.pk}", form_kwargs={"territory": territory}
        )
        if item.project_id
        else None
    )
    saved = False
    if form.is_valid() and (reserves is None or reserves.is_valid()):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if data["notes"] != item.notes:
                    item.notes = data["notes"]
                    item._change_reason = "Débats saisis"
                    item.save()
                item.record_decision(
                    data["decision"],
                    by=request.user,
                    motive=data["motive"],
                    votes=(data["votes_for"], data["votes_against"], data["votes_abstain"]),
                    reserves=[r for r in reserves.cleaned_data if r] if reserves else [],
                )
            saved = True
        except ValidationError as error:
            form.add_error(None, error)
    elif form.is_valid():
        form.add_error(None, "Une réserve est mal renseignée : corrigez-la ci-dessous.")
    if saved:
        messages.success(request, f"Décision enregistrée pour « {item.title} ».")
        return redirect_after_post(request, f"{meeting.get_absolute_url()}#point-{item.pk}")
    context = meeting_context(request, meeting, decision_forms={item.pk: (form, reserves)})
    context["item"] = item
    context["forms"] = (form, reserves)
    if request.htmx:
        return render(request, "committees/meeting_detail.html#decision", context)
    return render(request, "committees/meeting_detail.html", context)


@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_managed_meeting(request, pk)
    if not meeting.is_held:
        messages.error(request, "Les présences se saisissent une fois la séance ouverte.")
        return redirect_after_post(request, meeting.get_absolute_url())
    members = meeting.committee.members.filter(is_active=True)
    existing = {a.member_id: a for a in meeting.attendances.all()}
    forms, errors = {}, {}
    for member in members:
        instance = existing.get(member.pk) or Attendance(meeting=meeting, member=member)
        form = AttendanceForm(request.POST, instance=instance, prefix=f"presence-{member.pk}")
        forms[member.pk] = form
        if not form.is_valid():
            errors[member.pk] = " ".join(e for errs in form.errors.values() for e in errs)
    if not errors:
        with transaction.atomic():
            for form in forms.values():
                if form.has_changed() or form.instance.pk is None:
                    attendance = form.save(commit=False)
                    attendance._change_reason = "Présences saisies"
                    attendance.save()
        if not request.htmx:
            messages.success(request, "Les présences ont été enregistrées.")
    if request.htmx:
        context = meeting_context(
            request,
            meeting,
            attendance_forms=forms if errors else {},
            attendance_errors=errors,
            attendance_saved=not errors,
        )
        return render(request, "committees/meeting_detail.html#attendance", context)
    if errors:
        # Without JavaScript, the page again with what was typed and the errors in place.
        context = meeting_context(
            request, meeting, attendance_forms=forms, attendance_errors=errors
        )
        return render(request, "committees/meeting_detail.html", context)
    return redirect(f"{meeting.get_absolute_url()}#presences")


@require_POST
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_managed_meeting(request, pk)
    form = MinutesForm(request.POST, instance=meeting)
    conflict = stale(request, minutes_version(meeting))
    if form.is_valid() and not conflict:
        meeting = form.save(commit=False)
        meeting._change_reason = "Compte rendu rédigé"
        # Only these fields: a stale copy must not write back the status or the archive.
        meeting.save(update_fields=["minutes_intro", "minutes_conclusion"])
        if not request.htmx:
            messages.success(request, "Le texte du compte rendu a été enregistré.")
    if request.htmx:
        context = meeting_context(
            request,
            meeting,
            minutes_form=form,
            minutes_saved=form.is_valid() and not conflict,
            minutes_conflict=conflict,
        )
        return render(request, "committees/meeting_detail.html#minutes", context)
    if conflict:
        context = meeting_context(request, meeting, minutes_form=form, minutes_conflict=conflict)
        return render(request, "committees/meeting_detail.html", context, status=409)
    return redirect(f"{meeting.get_absolute_url()}#compte-rendu")


def minutes_version(meeting: Meeting) -> EditVersion:
    fields = ("minutes_intro", "minutes_conclusion")
    return EditVersion(Part("le texte", Meeting.history.filter(id=meeting.pk), fields))


@require_POST
@sent_once
def meeting_actions(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an action item, or mark one (of this meeting or carried over) as done."""
    meeting = get_meeting(request, pk)
    if not meeting.can_manage(request.user):
        raise PermissionDenied("Seule la coordination peut gérer le relevé de décisions.")
    form = ActionForm(prefix="action")
    if request.POST.get("done"):
        action = get_object_or_404(
            ActionItem.objects.filter(meeting__committee=meeting.committee, done_on__isnull=True),
            pk=posted_id(request, "done"),
        )
        action.done_on = timezone.localdate()
        action._change_reason = "Action réalisée"
        action.save(update_fields=["done_on"])  # the one field a validated meeting leaves open
    else:
        meeting.refuse_if_frozen()
        if meeting.is_cancelled:
            raise PermissionDenied("Cette séance est annulée.")
        form = ActionForm(request.POST, prefix="action")
        if form.is_valid():
            action = form.save(commit=False)
            action.meeting = meeting
            action._change_reason = "Action ajoutée"
            action.save()
            form = ActionForm(prefix="action")
    if request.htmx:
        context = meeting_context(request, meeting, action_form=form)
        return render(request, "committees/meeting_detail.html#actions", context)
    if form.errors:
        messages.error(
            request, "L'action n'a pas été ajoutée : l'action et son responsable sont obligatoires."
        )
    return redirect(f"{meeting.get_absolute_url()}#actions")


# --- documents -------------------------------------------------------------------------


@require_GET
def meeting_agenda_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    name = f"ordre-du-jour-{meeting.committee.short_name.lower()}-{meeting.number or 'projet'}.pdf"
    return pdf_response(render_agenda_pdf(meeting), name)


@require_GET
def meeting_board_pack_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The board pack, for whoever reads the meeting, with the projects whose details they see:
    at once for a small meeting, else (or when it runs over the PDF budget) in the background,
    on the page of its job. It carries pages that users uploaded: it is sent as their
    documents are, to be saved (tdi.downloads.attachment)."""
    meeting = get_meeting(request, pk)
    pack = gather_pack(meeting, request.access)
    if pack.is_small:
        try:
            content = render_board_pack(pack)
        except PdfBudgetExceeded:
            pass  # longer than a request may spend: the worker has the time
        else:
            return attachment(io.BytesIO(content), pack.file_name, "application/pdf")
    return redirect(start_job(meeting, request.user))


@require_GET
def meeting_minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft minutes (PROJET mark) for the coordination and members; the archived PDF once validated."""
    meeting = get_meeting(request, pk)
    name = f"compte-rendu-{meeting.committee.short_name.lower()}-{meeting.number or 'projet'}.pdf"
    if not request.access.reads_minutes_pdf(meeting):
        raise PermissionDenied(
            request.access.why_not(Right.MINUTES)
            if meeting.is_locked
            else "Le compte rendu n'est pas encore disponible."
        )
    if meeting.is_locked:
        return archived_pdf_response(meeting.minutes_pdf, meeting.minutes_sha256, name)
    return pdf_response(render_minutes_pdf(meeting, final=False), f"projet-{name}")


@require_GET
def meeting_invitation_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    response = HttpResponse(invitation_ics(meeting), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = disposition(f"seance-{meeting.pk}.ics")
    return response


@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    """Members are deactivated, not deleted: their attendance in past minutes stays."""
    committee = get_committee(request, pk)
    member = get_object_or_404(CommitteeMember.objects.filter(committee=committee), pk=member_pk)
    if not committee.can_manage(request.user):
        raise PermissionDenied("Seule la coordination peut gérer ce comité.")
    member.is_active = False
    member._change_reason = "Membre retiré du comité"
    member.save()
    messages.success(request, f"{member.display_name} ne fait plus partie du comité.")
    return redirect(committee)


# --- answers to the convocation ----------------------------------------------------------


def _my_invitation(request: HttpRequest, meeting: Meeting) -> Invitation:
    invitation = (
        meeting.invitations.filter(Q(user=request.user) | Q(member__user=request.user))
        .select_related("meeting__committee", "member__user", "user", "proxy_to")
        .first()
    )
    if invitation is None:
        raise PermissionDenied("Vous n'êtes pas convoqué·e à cette séance.")
    return invitation


@require_POST
def meeting_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """A convened person answers from their account (the same answer as by the link)."""
    meeting = get_meeting(request, pk)
    invitation = _my_invitation(request, meeting)
    form = ReplyForm(request.POST, invitation=invitation)
    if form.is_valid():
        try:
            form.save(by=request.user)
        except ValidationError:
            pass
        else:
            messages.success(
                request, f"Votre réponse est enregistrée : {invitation.get_reply_display()}."
            )
            return redirect_after_post(request, f"{meeting.get_absolute_url()}#reponse")
    context = meeting_context(request, meeting, reply_form=form)
    status = 400
    if request.htmx:
        return render(request, "committees/meeting_detail.html#reply", context, status=status)
    return render(request, "committees/meeting_detail.html", context, status=status)


@login_not_required
@never_cache  # a person's convocation: kept by no cache
@require_http_methods(["GET", "POST"])
def reply_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The reply link of a convocation: no login, this invitation only, one answer.

    GET only shows the question (mail scanners open links); the answer is a POST."""
    try:
        invitation = Invitation.from_token(token)
    except ReplyLinkError as error:
        status = 409 if error.message == ReplyLinkError.USED else 400
        if error.message == ReplyLinkError.EXPIRED:
            status = 410
        context = {"problem": error.message, "invitation": error.invitation}
        return render(request, "committees/reply.html", context, status=status)
    meeting = invitation.meeting
    context = {"invitation": invitation, "meeting": meeting, "token": token}
    if refusal := invitation.answer_refusal():
        return render(request, "committees/reply.html", {**context, "problem": refusal}, status=410)
    form = ReplyForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except ValidationError:
            pass
        else:
            return render(request, "committees/reply.html", {**context, "answered": True})
    # A lead sees the items that concern them; nothing else of the meeting is reachable here.
    items = meeting.items.filter(project__lead_users__email__iexact=invitation.email)
    status = 400 if form.errors else 200
    return render(
        request, "committees/reply.html", {**context, "form": form, "items": items}, status=status
    )


# --- the chairs' approval and the send log ------------------------------------------------


@require_POST
def meeting_approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    meeting.refuse_if_frozen()
    try:
        meeting.approve_draft(by=request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Vous avez approuvé le projet de compte rendu tel qu'il est.")
    return redirect_after_post(request, f"{meeting.get_absolute_url()}#approbation")


@require_POST
def meeting_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """The coordinator asks again for the e-mails not sent yet."""
    meeting = get_meeting(request, pk)
    if not meeting.can_manage(request.user):
        raise PermissionDenied("Seule la coordination du territoire gère les envois.")
    count = retry_unsent(meeting)
    if count:
        messages.success(
            request, f"Nouvel essai demandé pour {count} envoi{'s' if count > 1 else ''}."
        )
    else:
        messages.info(request, "Tous les envois sont partis.")
    return redirect_after_post(request, f"{meeting.get_absolute_url()}#envois")
