"""The waitlist aggregate on DynamoDB as store.stores.WaitlistStore: the reads of store/waitlist.py and
the transactions of store/waitlist_transactions.py, as they are (one object, so that the services
reach both through `stores().waitlist`)."""

from __future__ import annotations

from . import waitlist, waitlist_transactions


class DynamoWaitlist:
    get_entry = staticmethod(waitlist.get_entry)
    get_place = staticmethod(waitlist.get_place)
    entries_of_account = staticmethod(waitlist.entries_of_account)
    waiting_entries = staticmethod(waitlist.waiting_entries)
    places_of_day = staticmethod(waitlist.places_of_day)
    due_keys = staticmethod(waitlist.due_keys)
    get_items = staticmethod(waitlist.get_items)
    join = staticmethod(waitlist_transactions.join)
    offer_delayed_place = staticmethod(waitlist_transactions.offer_delayed_place)
    hold_free_place = staticmethod(waitlist_transactions.hold_free_place)
    accept_offer = staticmethod(waitlist_transactions.accept_offer)
    pass_offer_on = staticmethod(waitlist_transactions.pass_offer_on)
    return_to_pool = staticmethod(waitlist_transactions.return_to_pool)
    end_entry = staticmethod(waitlist_transactions.end_entry)
    withdraw_place = staticmethod(waitlist_transactions.withdraw_place)
