"""The answers of the superior's resets of an account under them."""

from ninja import Schema


class SecondFactorResetOut(Schema):
    username: str
    devices_removed: int


class PasswordResetOut(Schema):
    username: str
    password: str
    must_change: bool
