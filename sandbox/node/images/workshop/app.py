"""The workshop backend of lab 000 (state-labs.local/workshop-backend), standing in for the
students' FastAPI image: items kept in the lab's PostgreSQL, FastAPI, SQLAlchemy and psycopg2
from Debian's packages, served by uvicorn on port 8000.

Database: DATABASE_URL (the lab's Secret `db-credentials`, key database-url), else
postgresql://$POSTGRES_USER:$POSTGRES_PASSWORD@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB.

Routes: GET/POST /items, GET/DELETE /items/{id}, GET /healthz; FastAPI's own /docs (the
Deployment's probe) and /openapi.json.
"""
import os
from typing import List, Optional

from fastapi import FastAPI, HTTPException, Response
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, String, create_engine, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, declarative_base

NAME_MAX = 200


def database_url():
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    env = os.environ.get
    # URL.create quotes what a password may hold; an f-string would not
    return URL.create(
        "postgresql+psycopg2",
        username=env("POSTGRES_USER", "postgres"),
        password=env("POSTGRES_PASSWORD", ""),
        host=env("POSTGRES_HOST", "localhost"),
        port=int(env("POSTGRES_PORT", "5432")),
        database=env("POSTGRES_DB", "postgres"),
    )


# pool_pre_ping: a connection to a database pod that was deleted is noticed and replaced,
# instead of failing the next request (the lab deletes db-0 on purpose)
engine = create_engine(database_url(), pool_pre_ping=True, future=True)
Base = declarative_base()


class ItemRow(Base):
    __tablename__ = "items"
    id = Column(Integer, primary_key=True)
    name = Column(String(NAME_MAX), nullable=False)
    description = Column(String(1000), nullable=True)


class ItemIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=NAME_MAX)
    description: Optional[str] = Field(None, max_length=1000)


class Item(ItemIn):
    id: int


def session() -> Session:
    # The database may be a new, empty one (the seed's emptyDir, lost with its pod): the table
    # is created whenever it is missing, not once at start-up.
    Base.metadata.create_all(engine)
    return Session(engine, future=True)


def to_item(row: ItemRow) -> Item:
    return Item(id=row.id, name=row.name, description=row.description)


app = FastAPI(title="workshop backend", description="Lab 000: items stored in PostgreSQL")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.get("/items", response_model=List[Item])
def list_items():
    with session() as s:
        return [to_item(r) for r in s.execute(select(ItemRow).order_by(ItemRow.id)).scalars()]


@app.post("/items", response_model=Item, status_code=201)
def create_item(item: ItemIn):
    with session() as s:
        row = ItemRow(name=item.name, description=item.description)
        s.add(row)
        s.commit()
        return to_item(row)


@app.get("/items/{item_id}", response_model=Item)
def get_item(item_id: int):
    with session() as s:
        row = s.get(ItemRow, item_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no such item")
        return to_item(row)


@app.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: int):
    with session() as s:
        row = s.get(ItemRow, item_id)
        if row is None:
            raise HTTPException(status_code=404, detail="no such item")
        s.delete(row)
        s.commit()
    return Response(status_code=204)
