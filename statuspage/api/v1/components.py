"""Components and component groups (reads: viewer; writes: admin)."""
from __future__ import annotations

from flask import current_app

from ... import clock
from ...models import Component, ComponentGroup, Role
from ...services import components as service
from ...serialize import Serializer
from . import blp
from .auth import actor, requires
from .http import check_if_match, etag_of, page_headers
from .schemas import ComponentIn, ComponentOut, ComponentPatch, GroupIn, GroupPatch, PageArgs


def _serializer() -> Serializer:
    return Serializer(current_app.config["SETTINGS"])


def _out(component: Component) -> dict:
    """The v2 shape, plus what only the management API has: the aliases used to match tickets."""
    return {**_serializer().component(component), "aliases": list(component.aliases or [])}


def _component(component: Component):
    return _out(component), {"ETag": etag_of("component", component.id, component.updated_at)}


def _group(group: ComponentGroup):
    return (_serializer().group(group, list(group.components)),
            {"ETag": etag_of("group", group.id, group.updated_at)})


@blp.get("/components")
@requires(Role.VIEWER)
@blp.arguments(PageArgs, location="query")
@blp.response(200, ComponentOut(many=True))
def list_components(args):
    """List components in page order."""
    everything = service.list_components()
    page, per_page = args["page"], args["per_page"]
    chosen = everything[(page - 1) * per_page: page * per_page]
    return [_out(c) for c in chosen], page_headers(len(everything), page, per_page)


@blp.post("/components")
@requires(Role.ADMIN)
@blp.arguments(ComponentIn)
@blp.response(201, ComponentOut)
def create_component(fields):
    """Add a component; its slug must be new (409 otherwise)."""
    return _component(service.create_component(**fields, by=actor(), now=clock.now()))


@blp.get("/components/<slug>")
@requires(Role.VIEWER)
@blp.response(200, ComponentOut)
def get_component(slug):
    """One component by slug."""
    return _component(service.get_component(slug))


@blp.patch("/components/<slug>")
@requires(Role.ADMIN)
@blp.arguments(ComponentPatch(partial=True))
@blp.response(200, ComponentOut)
def update_component(fields, slug):
    """Change a component's fields; send If-Match with its ETag to refuse a stale write (412)."""
    current = service.get_component(slug)
    check_if_match(etag_of("component", current.id, current.updated_at))
    return _component(service.update_component(slug, **fields, by=actor(), now=clock.now()))


@blp.delete("/components/<slug>")
@requires(Role.ADMIN)
@blp.response(204)
def delete_component(slug):
    """Remove a component; incidents keep their history."""
    service.delete_component(slug, by=actor(), now=clock.now())


@blp.get("/groups")
@requires(Role.VIEWER)
@blp.response(200, ComponentOut(many=True))
def list_groups():
    """List component groups in order, each with its members' ids."""
    return [_serializer().group(g, list(g.components)) for g in service.list_groups()]


@blp.post("/groups")
@requires(Role.ADMIN)
@blp.arguments(GroupIn)
@blp.response(201, ComponentOut)
def create_group(fields):
    """Add a component group."""
    return _group(service.create_group(fields.pop("name"), **fields, by=actor(), now=clock.now()))


@blp.get("/groups/<group_id:group_id>")
@requires(Role.VIEWER)
@blp.response(200, ComponentOut)
def get_group(group_id):
    """One component group."""
    return _group(service.get_group(group_id))


@blp.patch("/groups/<group_id:group_id>")
@requires(Role.ADMIN)
@blp.arguments(GroupPatch(partial=True))
@blp.response(200, ComponentOut)
def update_group(fields, group_id):
    """Change a group's name, description or position."""
    current = service.get_group(group_id)
    check_if_match(etag_of("group", current.id, current.updated_at))
    return _group(service.update_group(group_id, **fields, by=actor(), now=clock.now()))


@blp.delete("/groups/<group_id:group_id>")
@requires(Role.ADMIN)
@blp.response(204)
def delete_group(group_id):
    """Remove a group; its components stay, ungrouped."""
    service.delete_group(group_id, by=actor(), now=clock.now())
