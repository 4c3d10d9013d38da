from __future__ import annotations

import dataclasses

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from lyceum.accounts.models import User
from lyceum.privacy.checks import register_problems
from lyceum.privacy.register import Category, Register, register


def test_p01_register_covers_every_model_of_the_project(capsys):
    assert register_problems() == []
    call_command("privacy", "check")
    assert "covers every model" in capsys.readouterr().out


@isolate_apps("lyceum.privacy")
def test_p01_an_undeclared_model_with_personal_data_fails_the_check():
    class Complaint(models.Model):
        author = models.ForeignKey(User, on_delete=models.CASCADE)
        phone = models.CharField(max_length=20)
        body = models.TextField()

        class Meta:
            app_label = "privacy"

    [problem] = register_problems(register, [Complaint])
    assert "privacy.Complaint holds personal data but is not declared" in problem
    assert "author (links to a person's account)" in problem
    assert "phone (is named like personal data)" in problem
    assert "body (is free text" in problem


@isolate_apps("lyceum.privacy")
def test_p01_even_a_model_without_personal_data_must_be_declared_as_such():
    class Room(models.Model):
        capacity = models.PositiveIntegerField()

        class Meta:
            app_label = "privacy"

    assert register_problems(register, [Room]) == [
        "privacy.Room is not declared (declare it, or declare that it holds no personal data)"
    ]
    own = Register()
    own.declare_not_personal([Room], "a room, not a person")
    assert register_problems(own, [Room]) == []


def test_p01_a_personal_field_left_out_of_a_declaration_fails_the_check():
    user_entry = register.entries["accounts.User"]
    fields = {k: v for k, v in user_entry.fields.items() if k != "display_name"}
    own = Register()
    own.declare(dataclasses.replace(user_entry, fields=fields))
    problems = register_problems(own, [User])
    assert problems == [
        "accounts.User.display_name is named like personal data but is not declared"
    ]


def test_p01_a_wrong_subject_path_or_field_fails_the_check():
    user_entry = register.entries["accounts.User"]
    own = Register()
    own.declare(
        dataclasses.replace(
            user_entry, subject="owner", fields={**user_entry.fields, "nick": Category.IDENTITY}
        )
    )
    problems = register_problems(own, [User])
    assert "accounts.User: subject path 'owner' does not resolve" in problems
    assert "accounts.User: declares 'nick', which the model does not have" in problems


def test_p01_declaring_a_model_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        register.declare(register.entries["accounts.User"])


def test_p01_every_declaration_states_purpose_basis_retention_and_erasure():
    for entry in register.entries.values():
        assert str(entry.purpose)
        assert entry.legal_basis
        assert str(entry.retention.description) or entry.retention.period is not None
        assert entry.erasure.action


@isolate_apps("lyceum.privacy")
def test_p43_a_link_that_would_stop_an_erasure_fails_the_check():
    class Invoice(models.Model):
        buyer = models.ForeignKey(User, on_delete=models.PROTECT)

        class Meta:
            app_label = "privacy"

    problems = register_problems(register, [Invoice])
    assert any("Invoice.buyer stops a person's account from being erased" in p for p in problems)


@isolate_apps("lyceum.privacy")
def test_p19_a_kept_row_that_would_cascade_with_its_person_fails_the_check():
    from datetime import timedelta

    from lyceum.privacy.register import Entry, Erasure, ErasureAction, LegalBasis, Retention

    class Receipt(models.Model):
        buyer = models.ForeignKey(User, on_delete=models.CASCADE)
        issued_on = models.DateTimeField()

        class Meta:
            app_label = "privacy"

    local = Register()
    local.declare(
        Entry(
            model=Receipt,
            subject="buyer",
            fields={"issued_on": Category.ACCOUNT},
            purpose="Accounting",
            legal_basis=LegalBasis.LEGAL_OBLIGATION,
            retention=Retention(period=None, description="ten years"),
            erasure=Erasure(
                action=ErasureAction.HOLD,
                reason="Tax law",
                hold_for=timedelta(days=3650),
                hold_from="paid_on",
            ),
        )
    )
    problems = register_problems(local, [Receipt])
    assert any("would be deleted with their person" in p for p in problems)
    assert any("a hold counts from 'paid_on'" in p for p in problems)
