"""
Python model 'elmcount_time_value.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np
import xarray as xr

from pysd.py_backend.functions import get_time_value
from pysd import Component

__pysd_version__ = "3.14.3"

__data = {"scope": None, "time": lambda: 0}

_root = Path(__file__).parent


_subscript_dict = {"region": ["north", "south", "east", "west"]}

component = Component()

#######################################################################
#                          CONTROL VARIABLES                          #
#######################################################################

_control_vars = {
    "initial_time": lambda: 0,
    "final_time": lambda: 3,
    "time_step": lambda: 1,
    "saveper": lambda: time_step(),
}


def _init_outer_references(data):
    for key in data:
        __data[key] = data[key]


@component.add(name="Time")
def time():
    """
    Current time of the model.
    """
    return __data["time"]()


@component.add(
    name="INITIAL TIME", units="Month", comp_type="Constant", comp_subtype="Normal"
)
def initial_time():
    return __data["time"].initial_time()


@component.add(
    name="FINAL TIME", units="Month", comp_type="Constant", comp_subtype="Normal"
)
def final_time():
    return __data["time"].final_time()


@component.add(
    name="TIME STEP",
    units="Month",
    limits=(0.0, np.nan),
    comp_type="Constant",
    comp_subtype="Normal",
)
def time_step():
    return __data["time"].time_step()


@component.add(
    name="SAVEPER",
    units="Month",
    limits=(0.0, np.nan),
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time_step": 1},
)
def saveper():
    return __data["time"].saveper()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(
    name="budget",
    units="GBP",
    limits=(50.0, 200.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def budget():
    """
    Total budget, shared equally.
    """
    return 100


@component.add(
    name="share per region",
    units="GBP",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"budget": 1},
)
def share_per_region():
    """
    ELMCOUNT is 4: budget / 4 = 25.
    """
    return budget() / len(
        xr.DataArray(
            np.arange(1, len(_subscript_dict["region"]) + 1),
            {"region": _subscript_dict["region"]},
            ["region"],
        )
    )


@component.add(
    name="shifted time",
    units="Month",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"time": 1},
)
def shifted_time():
    """
    Model time plus an offset of 2 months: Time + 2.
    """
    return get_time_value(__data["time"], 0, 2, 0)
