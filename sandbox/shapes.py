"""JSON shapes of the API objects, built from store rows.

The API sends a pass's member and template either as an id string or as the
embedded object, depending on the endpoint, so both forms are built here and
each endpoint picks one.
"""

import math

# Visual settings every sandbox template shares; the API returns a design
# object on templates and a product may read colours from it.
TEMPLATE_DESIGN = {
    "backgroundColor": "#1f2a44",
    "foregroundColor": "#ffffff",
    "labelColor": "#c9d1e3",
    "voidedBackgroundColor": "#7a7a7a",
    "logoText": "RemyPass sandbox",
    "colorVariants": [],
}


def member_json(row):
    """Return the Member object for a member row."""
    return {
        "_id": row["id"],
        "title": None,
        "name": row["name"],
        "email": row["email"],
        "memberId": None,
        "type": row["type"],
        "status": row["status"],
        "customFields": {},
        "passes": row["pass_count"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def template_json(row):
    """Return the PassTemplate object for a template row."""
    return {
        "_id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "type": row["type"],
        "approved": bool(row["approved"]),
        "design": dict(TEMPLATE_DESIGN),
        "loyalty": None,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def pass_json(row, *, member, template):
    """Return the PassInstance object for a pass row.

    member and template are what to put under "member" and "pass": an id
    string or an embedded object.
    """
    return {
        "_id": row["id"],
        "serialNumber": row["serial_number"],
        "status": row["status"],
        "member": member,
        "pass": template,
        "recipientName": row["recipient_name"],
        "recipientEmail": row["recipient_email"],
        "expiryDate": row["expiry_date"],
        "issuedAt": row["issued_at"],
        "walletUrls": wallet_urls(row),
        "bookingId": row["booking_id"],
        "eventName": row["event_name"],
        "eventTime": row["event_time"],
        "seatInfo": {
            "section": row["seat_section"],
            "row": row["seat_row"],
            "seat": row["seat_number"],
        },
    }


def wallet_urls(row):
    """Return the wallet links of a pass; they lead back to the sandbox."""
    origin, serial = row["wallet_origin"], row["serial_number"]
    return {
        "apple": f"{origin}/wallet/apple/{serial}.pkpass",
        "google": f"{origin}/wallet/google/{serial}",
    }


def pagination_json(*, page, limit, total):
    """Return the pagination object that list endpoints add to the envelope."""
    total_pages = math.ceil(total / limit)
    return {
        "currentPage": page,
        "totalPages": total_pages,
        "totalItems": total,
        "itemsPerPage": limit,
        "hasNextPage": page < total_pages,
        "hasPrevPage": page > 1,
    }
