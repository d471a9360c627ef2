"""
Python model 'nhs_productivity.py'
Translated using PySD
"""

from pathlib import Path
import numpy as np

from pysd.py_backend.functions import xidz, zidz, step
from pysd.py_backend.statefuls import Integ, Smooth, Initial
from pysd import Component

__pysd_version__ = "3.14.3"

__data = {"scope": None, "time": lambda: 0}

_root = Path(__file__).parent


component = Component()

#######################################################################
#                          CONTROL VARIABLES                          #
#######################################################################

_control_vars = {
    "initial_time": lambda: 2024,
    "final_time": lambda: 2040,
    "time_step": lambda: 0.03125,
    "saveper": lambda: 0.25,
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
    name="FINAL TIME",
    units="Year",
    limits=(2030.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def final_time():
    """
    The final time for the simulation.
    """
    return __data["time"].final_time()


@component.add(
    name="INITIAL TIME",
    units="Year",
    limits=(2024.0, 2024.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_time():
    """
    The initial time for the simulation: the base year of the productivity index.
    """
    return __data["time"].initial_time()


@component.add(
    name="SAVEPER",
    units="Year",
    limits=(0.03125, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def saveper():
    """
    The frequency with which output is stored.
    """
    return __data["time"].saveper()


@component.add(
    name="TIME STEP",
    units="Year",
    limits=(0.0078125, 0.0625),
    comp_type="Constant",
    comp_subtype="Normal",
)
def time_step():
    """
    The time step for the simulation: 1/32 year. Halving it changes the key outputs by well under 1% (tests/model/test_structure.py).
    """
    return __data["time"].time_step()


#######################################################################
#                           MODEL VARIABLES                           #
#######################################################################


@component.add(
    name="Initial Nurses",
    units="FTE",
    limits=(380000.0, 460000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_nurses():
    """
    Registered nurses and midwives in 2024 (trusts and general practice). Source: Assumption: set so that total staff is about 1.5m (IFS 2023 via parameter anchors: 1.5m workforce) with nurses per doctor about 2.55, between the reference figures figures 3.0 (2010/11) and 2.6 (2018/19).
    """
    return 420000


@component.add(
    name="Initial Resident Doctors",
    units="FTE",
    limits=(70000.0, 90000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_resident_doctors():
    """
    Doctors in training in 2024. Source: Assumption: order of magnitude of NHS England workforce statistics; with consultants gives about 165k doctors.
    """
    return 80000


@component.add(
    name="Initial Consultants",
    units="FTE",
    limits=(75000.0, 95000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_consultants():
    """
    Consultants, GPs and specialty doctors in 2024. Source: Assumption: order of magnitude of NHS England and general practice workforce statistics.
    """
    return 85000


@component.add(
    name="Initial AHPs",
    units="FTE",
    limits=(160000.0, 200000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_ahps():
    """
    Allied health professionals and healthcare scientists in 2024. Source: Assumption: order of magnitude of NHS England workforce statistics.
    """
    return 185000


@component.add(
    name="Initial Support Staff",
    units="FTE",
    limits=(650000.0, 800000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_support_staff():
    """
    Clinical support, administrative and estates staff in 2024. Source: Assumption: the remainder of a 1.5m workforce (IFS 2023, parameter anchors).
    """
    return 730000


@component.add(
    name="Nurse Leaver Rate",
    units="1/Year",
    limits=(0.09, 0.125),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_leaver_rate():
    """
    Share of nurses leaving NHS employment a year at 2024 pressure and morale. Source: parameter anchors, Nuffield Trust 'Peak leaving?' 2022 (about 1 in 9; acute trusts 11.8-12.4%).
    """
    return 0.115


@component.add(
    name="Doctor Leaver Rate",
    units="1/Year",
    limits=(0.05, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def doctor_leaver_rate():
    """
    Share of doctors leaving a year at 2024 pressure and morale. Source: parameter anchors [A] 0.07 (0.05-0.10).
    """
    return 0.07


@component.add(
    name="AHP Leaver Rate",
    units="1/Year",
    limits=(0.07, 0.12),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_leaver_rate():
    """
    Share of AHPs leaving a year. Source: Assumption: between doctors (0.07) and nurses (0.115).
    """
    return 0.09


@component.add(
    name="Support Staff Leaver Rate",
    units="1/Year",
    limits=(0.1, 0.16),
    comp_type="Constant",
    comp_subtype="Normal",
)
def support_staff_leaver_rate():
    """
    Share of support staff leaving a year. Source: Assumption: support roles turn over somewhat faster than registered nurses (0.115, parameter anchors).
    """
    return 0.12


@component.add(
    name="Nurse Training Time",
    units="Year",
    limits=(3.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_training_time():
    """
    Length of pre-registration nurse education. Source: parameter anchors, three-year degree (3-4).
    """
    return 3.0


@component.add(
    name="Student Nurse Attrition",
    units="Dmnl",
    limits=(0.24, 0.36),
    comp_type="Constant",
    comp_subtype="Normal",
)
def student_nurse_attrition():
    """
    Share of student nurses who do not complete the course. Source: parameter anchors, 24% for the UK 2014-17 cohort, 33-36% for 2018-21.
    """
    return 0.24


@component.add(
    name="Nurse Training Intake",
    units="Students/Year",
    limits=(32000.0, 44000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_training_intake():
    """
    Student nurses starting a year in England at 2024 levels. Source: Assumption: calibrated so that about 26k newly qualified nurses join the NHS a year (with 24% attrition and a 0.9 join share).
    """
    return 38000


@component.add(
    name="Graduate Join Fraction",
    units="Dmnl",
    limits=(0.8, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def graduate_join_fraction():
    """
    Share of newly qualified staff who take an NHS post. Source: Assumption: most graduates of commissioned training join the NHS.
    """
    return 0.9


@component.add(
    name="Medical School Time",
    units="Year",
    limits=(5.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def medical_school_time():
    """
    Length of undergraduate medical school. Source: Assumption: standard five-year UK degree; with Resident Training Time gives the parameter anchors' 15 years to consultant (LTWP; CfWI SD model).
    """
    return 5.0


@component.add(
    name="Medical School Attrition",
    units="Dmnl",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def medical_school_attrition():
    """
    Share of medical students who do not graduate. Source: Assumption: low attrition in medicine.
    """
    return 0.05


@component.add(
    name="Medical School Intake",
    units="Students/Year",
    limits=(7000.0, 8500.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def medical_school_intake():
    """
    Medical students starting a year in England at 2024 levels. Source: Assumption: about 7,500 funded places before the Long Term Workforce Plan expansion (recalled, to confirm).
    """
    return 7500


@component.add(
    name="Resident Training Time",
    units="Year",
    limits=(7.0, 13.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def resident_training_time():
    """
    Average time from first post to consultant or GP. Source: parameter anchors time to qualify as consultant 15 years (12-18), LTWP and CfWI (Willis, Woodward and Cave 2013), minus five years of medical school.
    """
    return 10


@component.add(
    name="AHP Training Time",
    units="Year",
    limits=(3.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_training_time():
    """
    Length of AHP degree courses. Source: Assumption: three-year degree, as for nurses (parameter anchors).
    """
    return 3.0


@component.add(
    name="AHP Student Attrition",
    units="Dmnl",
    limits=(0.1, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_student_attrition():
    """
    Share of AHP students who do not complete. Source: Assumption: a little below nursing (0.24, parameter anchors).
    """
    return 0.2


@component.add(
    name="AHP Training Intake",
    units="Students/Year",
    limits=(10000.0, 18000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_training_intake():
    """
    AHP students starting a year at 2024 levels. Source: Assumption: calibrated so about 10k newly qualified AHPs join a year.
    """
    return 14000


@component.add(
    name="Support Staff Induction Time",
    units="Year",
    limits=(0.25, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def support_staff_induction_time():
    """
    Time from hire to fully productive for support staff (care certificate, apprenticeship induction). Source: Assumption.
    """
    return 0.5


@component.add(
    name="Support Staff Recruitment Rate",
    units="1/Year",
    limits=(1.0, 2.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def support_staff_recruitment_rate():
    """
    Share of support staff vacancies filled a year from the local labour market. Source: Assumption: calibrated so hires replace 12% leavers plus growth in 2024.
    """
    return 1.6


@component.add(
    name="Nurse International Recruitment Rate",
    units="1/Year",
    limits=(0.15, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_international_recruitment_rate():
    """
    Share of nurse vacancies filled from abroad a year. Source: Assumption: calibrated so international recruits are about 25% of nurse joiners in 2024 (parameter anchors, Health Foundation: international share of joiners 0.25, 0.10-0.30).
    """
    return 0.35


@component.add(
    name="Nurse Domestic Recruitment Rate",
    units="1/Year",
    limits=(0.2, 0.8),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_domestic_recruitment_rate():
    """
    Share of nurse vacancies filled a year by returners and other domestic joiners. Source: Assumption: calibrated with the international rate so that nurse joiners exceed leavers by about 2% of establishment in 2024.
    """
    return 0.4


@component.add(
    name="Doctor International Recruitment Rate",
    units="1/Year",
    limits=(0.8, 2.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def doctor_international_recruitment_rate():
    """
    Share of resident doctor vacancies filled a year by international medical graduates (entering resident and locally employed posts). Source: Assumption: calibrated so international graduates are more than half of doctors joining, as in recent GMC registration data (recalled, to confirm).
    """
    return 1.7


@component.add(
    name="Doctor Domestic Recruitment Rate",
    units="1/Year",
    limits=(0.0, 0.4),
    comp_type="Constant",
    comp_subtype="Normal",
)
def doctor_domestic_recruitment_rate():
    """
    Share of consultant and GP vacancies filled a year by returners and career-grade joiners (most senior posts are filled by residents completing training). Source: Assumption.
    """
    return 0.1


@component.add(
    name="AHP International Recruitment Rate",
    units="1/Year",
    limits=(0.05, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_international_recruitment_rate():
    """
    Share of AHP vacancies filled from abroad a year. Source: Assumption: international share of AHP joiners about 15%, below the 0.25 of nursing (parameter anchors).
    """
    return 0.16


@component.add(
    name="AHP Domestic Recruitment Rate",
    units="1/Year",
    limits=(0.3, 0.9),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_domestic_recruitment_rate():
    """
    Share of AHP vacancies filled a year by domestic joiners. Source: Assumption: calibrated so AHP numbers grow about 2% a year in 2024.
    """
    return 0.6


@component.add(
    name="Initial Nurse Vacancy Rate",
    units="Dmnl",
    limits=(0.07, 0.12),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_nurse_vacancy_rate():
    """
    Nurse vacancies as a share of establishment in 2024. Source: Assumption: NHS vacancy statistics 2023/24 show about 8-10% for nursing (recalled, to confirm).
    """
    return 0.09


@component.add(
    name="Initial Doctor Vacancy Rate",
    units="Dmnl",
    limits=(0.04, 0.08),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_doctor_vacancy_rate():
    """
    Doctor vacancy rate in 2024. Source: Assumption: about 6% in NHS vacancy statistics (recalled).
    """
    return 0.06


@component.add(
    name="Initial AHP Vacancy Rate",
    units="Dmnl",
    limits=(0.05, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_ahp_vacancy_rate():
    """
    AHP vacancy rate in 2024. Source: Assumption.
    """
    return 0.07


@component.add(
    name="Initial Support Staff Vacancy Rate",
    units="Dmnl",
    limits=(0.05, 0.12),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_support_staff_vacancy_rate():
    """
    Support staff vacancy rate in 2024. Source: Assumption.
    """
    return 0.08


@component.add(
    name="Agency Cover Fraction",
    units="Dmnl",
    limits=(0.2, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def agency_cover_fraction():
    """
    Share of vacant posts covered by agency staff without financial pressure. Source: Assumption: calibrated so agency spending is about 5% of the pay bill in 2024 (parameter anchors, HFMA 2019: 0.05, 0.04-0.082).
    """
    return 0.42


@component.add(
    name="Agency Cost Premium",
    units="Dmnl",
    limits=(1.2, 2.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def agency_cost_premium():
    """
    Cost of an agency FTE relative to a substantive FTE. Source: parameter anchors [A] 1.5 (1.2-2.5); agency about 20% above bank.
    """
    return 1.5


@component.add(
    name="Agency Effectiveness",
    units="Dmnl",
    limits=(0.7, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def agency_effectiveness():
    """
    Output of an agency FTE relative to a substantive FTE (unfamiliar teams and systems). Source: Assumption.
    """
    return 0.85


@component.add(
    name="Doctor Pay",
    units="GBPk/(FTE*Year)",
    limits=(90.0, 130.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def doctor_pay():
    """
    Average cost of a doctor FTE including on-costs, 2024 prices. Source: Assumption.
    """
    return 110


@component.add(
    name="Nurse Pay",
    units="GBPk/(FTE*Year)",
    limits=(40.0, 55.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_pay():
    """
    Average cost of a nurse FTE including on-costs. Source: Assumption.
    """
    return 47


@component.add(
    name="AHP Pay",
    units="GBPk/(FTE*Year)",
    limits=(40.0, 55.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_pay():
    """
    Average cost of an AHP FTE including on-costs. Source: Assumption.
    """
    return 46


@component.add(
    name="Support Staff Pay",
    units="GBPk/(FTE*Year)",
    limits=(25.0, 36.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def support_staff_pay():
    """
    Average cost of a support staff FTE including on-costs. Source: Assumption.
    """
    return 30


@component.add(
    name="Base Sickness Absence",
    units="Dmnl",
    limits=(0.039, 0.056),
    comp_type="Constant",
    comp_subtype="Normal",
)
def base_sickness_absence():
    """
    Share of FTE lost to sickness at 2024 pressure. Source: parameter anchors, Nuffield Trust 2023 (4.3% 2019, 5.6% 2022).
    """
    return 0.045


@component.add(
    name="Sickness Pressure Elasticity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def sickness_pressure_elasticity():
    """
    Elasticity of sickness absence to sustained work pressure. Source: Assumption, by analogy with the quit elasticity of Oliva and Sterman 2001 (parameter anchors).
    """
    return 1.0


@component.add(
    name="Quit Elasticity to Pressure",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def quit_elasticity_to_pressure():
    """
    Elasticity of leaving to sustained work pressure (burnout). Source: parameter anchors, Oliva and Sterman 2001: elasticity of quits to sustained overtime 1 (0-2).
    """
    return 1.0


@component.add(
    name="Quit Elasticity to Morale",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def quit_elasticity_to_morale():
    """
    Elasticity of leaving to staff morale relative to 2024. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Quit Elasticity to Pay",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def quit_elasticity_to_pay():
    """
    Elasticity of leaving to real pay relative to 2024. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Recruitment Elasticity to Pay",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def recruitment_elasticity_to_pay():
    """
    Elasticity of domestic recruitment to real pay relative to 2024. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Burnout Onset Time",
    units="Year",
    limits=(0.5, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def burnout_onset_time():
    """
    Time over which sustained pressure builds into burnout. Source: parameter anchors, Oliva and Sterman 2001: burnout onset 52 weeks (26-104).
    """
    return 1.0


@component.add(
    name="Skill Mix Training Uplift",
    units="Dmnl",
    limits=(0.0, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_training_uplift():
    """
    Increase of AHP and new-role training intake at a full skill mix programme (nursing associates, pharmacists, physician associates). Source: Assumption.
    """
    return 0.3


@component.add(
    name="Extra Training Places",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def extra_training_places():
    """
    Policy lever (0 = off in the baseline). Fractional increase of nurse, medical school and AHP training intake (1 = doubling, as the Long Term Workforce Plan proposes for medical school places). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Extra Training Places Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def extra_training_places_start_year():
    """
    Year the lever Extra Training Places starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="International Recruitment Boost",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def international_recruitment_boost():
    """
    Policy lever (0 = off in the baseline). Fractional increase of international recruitment. Source: scenario input.
    """
    return 0.0


@component.add(
    name="International Recruitment Boost Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def international_recruitment_boost_start_year():
    """
    Year the lever International Recruitment Boost starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Training Intake Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "extra_training_places": 1,
        "extra_training_places_start_year": 1,
        "time": 1,
    },
)
def training_intake_multiplier():
    """
    Training intake relative to 2024 levels, from the training places lever.
    """
    return 1 + step(
        __data["time"], extra_training_places(), extra_training_places_start_year()
    )


@component.add(
    name="International Recruitment Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "international_recruitment_boost": 1,
        "international_recruitment_boost_start_year": 1,
        "time": 1,
    },
)
def international_recruitment_multiplier():
    """
    International recruitment relative to 2024 levels, from the lever.
    """
    return 1 + step(
        __data["time"],
        international_recruitment_boost(),
        international_recruitment_boost_start_year(),
    )


@component.add(
    name="Pay Recruitment Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"relative_pay": 1, "recruitment_elasticity_to_pay": 1},
)
def pay_recruitment_effect():
    """
    Domestic recruitment falls as real pay falls behind the 2024 level.
    """
    return float(np.power(relative_pay(), recruitment_elasticity_to_pay()))


@component.add(
    name="Reference Work Pressure",
    units="Dmnl",
    limits=(1.0, 1.2),
    comp_type="Constant",
    comp_subtype="Normal",
)
def reference_work_pressure():
    """
    Work pressure in 2024 (workload over normal capacity net of blocked flow); Reference Capacity is derived so that 2024 pressure equals it, and leaving, sickness and morale respond to sustained pressure relative to it. Source: Assumption: the NHS entered 2024 under pressure, with staff working about 9% above normal intensity (parameter anchors: sustained overtime of 10-20% is where burnout sets in).
    """
    return 1.1


@component.add(
    name="Pressure Perception Time",
    units="Year",
    limits=(0.125, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def pressure_perception_time():
    """
    Time for managers to perceive work pressure and cut improvement time (firefighting). Source: Assumption: a quarter, the usual performance reporting cycle.
    """
    return 0.25


@component.add(
    name="Perceived Work Pressure",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_perceived_work_pressure": 1},
    other_deps={
        "_integ_perceived_work_pressure": {
            "initial": {"reference_work_pressure": 1},
            "step": {
                "work_pressure": 1,
                "perceived_work_pressure": 1,
                "pressure_perception_time": 1,
            },
        }
    },
)
def perceived_work_pressure():
    """
    Work pressure as perceived by managers (first-order smooth); drives firefighting.
    """
    return _integ_perceived_work_pressure()


_integ_perceived_work_pressure = Integ(
    lambda: (work_pressure() - perceived_work_pressure()) / pressure_perception_time(),
    lambda: reference_work_pressure(),
    "_integ_perceived_work_pressure",
)


@component.add(
    name="Sustained Work Pressure",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_sustained_work_pressure": 1},
    other_deps={
        "_integ_sustained_work_pressure": {
            "initial": {"reference_work_pressure": 1},
            "step": {
                "work_pressure": 1,
                "sustained_work_pressure": 1,
                "burnout_onset_time": 1,
            },
        }
    },
)
def sustained_work_pressure():
    """
    Work pressure averaged over the burnout onset time (first-order smooth); drives burnout.
    """
    return _integ_sustained_work_pressure()


_integ_sustained_work_pressure = Integ(
    lambda: (work_pressure() - sustained_work_pressure()) / burnout_onset_time(),
    lambda: reference_work_pressure(),
    "_integ_sustained_work_pressure",
)


@component.add(
    name="Leaving Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "sustained_work_pressure": 1,
        "reference_work_pressure": 1,
        "quit_elasticity_to_pressure": 1,
        "staff_morale": 1,
        "initial_staff_morale": 1,
        "quit_elasticity_to_morale": 1,
        "relative_pay": 1,
        "quit_elasticity_to_pay": 1,
    },
)
def leaving_multiplier():
    """
    Leaving relative to 2024 rates: rises with sustained pressure (burnout), low morale and falling real pay; capped at twice the base rate.
    """
    return float(
        np.minimum(
            2,
            float(
                np.power(
                    sustained_work_pressure() / reference_work_pressure(),
                    quit_elasticity_to_pressure(),
                )
            )
            * float(
                np.power(
                    float(np.maximum(staff_morale(), 0.01)) / initial_staff_morale(),
                    -quit_elasticity_to_morale(),
                )
            )
            * float(np.power(relative_pay(), -quit_elasticity_to_pay())),
        )
    )


@component.add(
    name="Sickness Absence Rate",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "base_sickness_absence": 1,
        "sustained_work_pressure": 1,
        "reference_work_pressure": 1,
        "sickness_pressure_elasticity": 1,
    },
)
def sickness_absence_rate():
    """
    Share of FTE lost to sickness; rises with sustained pressure, capped at 30%.
    """
    return float(
        np.minimum(
            0.3,
            base_sickness_absence()
            * float(
                np.power(
                    sustained_work_pressure() / reference_work_pressure(),
                    sickness_pressure_elasticity(),
                )
            ),
        )
    )


@component.add(
    name="Staff Availability",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"sickness_absence_rate": 1, "improvement_time_share": 1},
)
def staff_availability():
    """
    Share of paid time spent on patient care: net of sickness and of time spent on improvement.
    """
    return (1 - sickness_absence_rate()) * (1 - improvement_time_share())


@component.add(
    name="Nurse Stage Time",
    units="Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_training_time": 1},
)
def nurse_stage_time():
    """
    Length of each year of the nurse course.
    """
    return nurse_training_time() / 3


@component.add(
    name="Nurse Stage Survival",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"student_nurse_attrition": 1},
)
def nurse_stage_survival():
    """
    Share of student nurses completing each year of the course.
    """
    return float(np.power(1 - student_nurse_attrition(), 1 / 3))


@component.add(
    name="Nurse Intake",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_training_intake": 1, "training_intake_multiplier": 1},
)
def nurse_intake():
    """
    Student nurses starting training.
    """
    return nurse_training_intake() * training_intake_multiplier()


@component.add(
    name="Student Nurses Year 1",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_student_nurses_year_1": 1},
    other_deps={
        "_integ_student_nurses_year_1": {
            "initial": {"nurse_training_intake": 1, "nurse_stage_time": 1},
            "step": {"nurse_intake": 1, "nurse_progression_1": 1, "nurse_dropout_1": 1},
        }
    },
)
def student_nurses_year_1():
    """
    First-year student nurses; starts at the steady state of 2024 intake.
    """
    return _integ_student_nurses_year_1()


_integ_student_nurses_year_1 = Integ(
    lambda: nurse_intake() - nurse_progression_1() - nurse_dropout_1(),
    lambda: nurse_training_intake() * nurse_stage_time(),
    "_integ_student_nurses_year_1",
)


@component.add(
    name="Nurse Progression 1",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_1": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_progression_1():
    """
    Student nurses moving into the second year.
    """
    return student_nurses_year_1() * nurse_stage_survival() / nurse_stage_time()


@component.add(
    name="Nurse Dropout 1",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_1": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_dropout_1():
    """
    First-year student nurses leaving the course.
    """
    return student_nurses_year_1() * (1 - nurse_stage_survival()) / nurse_stage_time()


@component.add(
    name="Student Nurses Year 2",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_student_nurses_year_2": 1},
    other_deps={
        "_integ_student_nurses_year_2": {
            "initial": {
                "nurse_training_intake": 1,
                "nurse_stage_survival": 1,
                "nurse_stage_time": 1,
            },
            "step": {
                "nurse_progression_1": 1,
                "nurse_progression_2": 1,
                "nurse_dropout_2": 1,
            },
        }
    },
)
def student_nurses_year_2():
    """
    Second-year student nurses.
    """
    return _integ_student_nurses_year_2()


_integ_student_nurses_year_2 = Integ(
    lambda: nurse_progression_1() - nurse_progression_2() - nurse_dropout_2(),
    lambda: nurse_training_intake() * nurse_stage_survival() * nurse_stage_time(),
    "_integ_student_nurses_year_2",
)


@component.add(
    name="Nurse Progression 2",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_2": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_progression_2():
    """
    Student nurses moving into the third year.
    """
    return student_nurses_year_2() * nurse_stage_survival() / nurse_stage_time()


@component.add(
    name="Nurse Dropout 2",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_2": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_dropout_2():
    """
    Second-year student nurses leaving the course.
    """
    return student_nurses_year_2() * (1 - nurse_stage_survival()) / nurse_stage_time()


@component.add(
    name="Student Nurses Year 3",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_student_nurses_year_3": 1},
    other_deps={
        "_integ_student_nurses_year_3": {
            "initial": {
                "nurse_training_intake": 1,
                "nurse_stage_survival": 2,
                "nurse_stage_time": 1,
            },
            "step": {
                "nurse_progression_2": 1,
                "nurse_qualifiers": 1,
                "nurse_dropout_3": 1,
            },
        }
    },
)
def student_nurses_year_3():
    """
    Third-year student nurses.
    """
    return _integ_student_nurses_year_3()


_integ_student_nurses_year_3 = Integ(
    lambda: nurse_progression_2() - nurse_qualifiers() - nurse_dropout_3(),
    lambda: nurse_training_intake()
    * nurse_stage_survival()
    * nurse_stage_survival()
    * nurse_stage_time(),
    "_integ_student_nurses_year_3",
)


@component.add(
    name="Nurse Qualifiers",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_3": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_qualifiers():
    """
    Student nurses qualifying.
    """
    return student_nurses_year_3() * nurse_stage_survival() / nurse_stage_time()


@component.add(
    name="Nurse Dropout 3",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "student_nurses_year_3": 1,
        "nurse_stage_survival": 1,
        "nurse_stage_time": 1,
    },
)
def nurse_dropout_3():
    """
    Third-year student nurses leaving the course.
    """
    return student_nurses_year_3() * (1 - nurse_stage_survival()) / nurse_stage_time()


@component.add(
    name="Nurse Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_nurses": 1,
        "initial_nurse_vacancy_rate": 1,
        "establishment_index": 1,
    },
)
def nurse_establishment():
    """
    Funded nurse posts.
    """
    return initial_nurses() / (1 - initial_nurse_vacancy_rate()) * establishment_index()


@component.add(
    name="Nurse Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_establishment": 1, "nurses": 1},
)
def nurse_vacancies():
    """
    Unfilled nurse posts.
    """
    return float(np.maximum(0, nurse_establishment() - nurses()))


@component.add(
    name="Nurse Graduate Joiners",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_qualifiers": 1, "graduate_join_fraction": 1},
)
def nurse_graduate_joiners():
    """
    Newly qualified nurses taking NHS posts.
    """
    return nurse_qualifiers() * graduate_join_fraction()


@component.add(
    name="Nurse International Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_vacancies": 1,
        "nurse_international_recruitment_rate": 1,
        "international_recruitment_multiplier": 1,
    },
)
def nurse_international_recruits():
    """
    Nurses recruited from abroad, pulled by vacancies.
    """
    return (
        nurse_vacancies()
        * nurse_international_recruitment_rate()
        * international_recruitment_multiplier()
    )


@component.add(
    name="Nurse Domestic Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_vacancies": 1,
        "nurse_domestic_recruitment_rate": 1,
        "pay_recruitment_effect": 1,
    },
)
def nurse_domestic_recruits():
    """
    Returners and other domestic joiners, pulled by vacancies and sensitive to real pay.
    """
    return (
        nurse_vacancies() * nurse_domestic_recruitment_rate() * pay_recruitment_effect()
    )


@component.add(
    name="Nurse Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurses": 1, "nurse_leaver_rate": 1, "leaving_multiplier": 1},
)
def nurse_leavers():
    """
    Nurses leaving NHS employment (first-order).
    """
    return nurses() * nurse_leaver_rate() * leaving_multiplier()


@component.add(
    name="Nurses",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_nurses": 1},
    other_deps={
        "_integ_nurses": {
            "initial": {"initial_nurses": 1},
            "step": {
                "nurse_graduate_joiners": 1,
                "nurse_international_recruits": 1,
                "nurse_domestic_recruits": 1,
                "nurse_leavers": 1,
            },
        }
    },
)
def nurses():
    """
    Registered nurses and midwives in post.
    """
    return _integ_nurses()


_integ_nurses = Integ(
    lambda: nurse_graduate_joiners()
    + nurse_international_recruits()
    + nurse_domestic_recruits()
    - nurse_leavers(),
    lambda: initial_nurses(),
    "_integ_nurses",
)


@component.add(
    name="Effective Nurse Leaver Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_leaver_rate": 1, "leaving_multiplier": 1},
)
def effective_nurse_leaver_rate():
    """
    Current nurse leaver rate including burnout, morale and pay effects.
    """
    return nurse_leaver_rate() * leaving_multiplier()


@component.add(
    name="Nurse Agency Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurse_vacancies": 1, "agency_cover_level": 1},
)
def nurse_agency_staff():
    """
    Agency nurses covering vacancies.
    """
    return nurse_vacancies() * agency_cover_level()


@component.add(
    name="Medical Stage Time",
    units="Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"medical_school_time": 1},
)
def medical_stage_time():
    """
    Length of each half of medical school.
    """
    return medical_school_time() / 2


@component.add(
    name="Medical Stage Survival",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"medical_school_attrition": 1},
)
def medical_stage_survival():
    """
    Share of medical students completing each half of the course.
    """
    return float(np.sqrt(1 - medical_school_attrition()))


@component.add(
    name="Medical Intake",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"medical_school_intake": 1, "training_intake_multiplier": 1},
)
def medical_intake():
    """
    Medical students starting.
    """
    return medical_school_intake() * training_intake_multiplier()


@component.add(
    name="Medical Students Early",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_medical_students_early": 1},
    other_deps={
        "_integ_medical_students_early": {
            "initial": {"medical_school_intake": 1, "medical_stage_time": 1},
            "step": {
                "medical_intake": 1,
                "medical_progression": 1,
                "medical_dropout_early": 1,
            },
        }
    },
)
def medical_students_early():
    """
    Medical students in the first half of the course.
    """
    return _integ_medical_students_early()


_integ_medical_students_early = Integ(
    lambda: medical_intake() - medical_progression() - medical_dropout_early(),
    lambda: medical_school_intake() * medical_stage_time(),
    "_integ_medical_students_early",
)


@component.add(
    name="Medical Progression",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "medical_students_early": 1,
        "medical_stage_survival": 1,
        "medical_stage_time": 1,
    },
)
def medical_progression():
    """
    Medical students moving to the clinical years.
    """
    return medical_students_early() * medical_stage_survival() / medical_stage_time()


@component.add(
    name="Medical Dropout Early",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "medical_students_early": 1,
        "medical_stage_survival": 1,
        "medical_stage_time": 1,
    },
)
def medical_dropout_early():
    """
    Early medical students leaving the course.
    """
    return (
        medical_students_early() * (1 - medical_stage_survival()) / medical_stage_time()
    )


@component.add(
    name="Medical Students Late",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_medical_students_late": 1},
    other_deps={
        "_integ_medical_students_late": {
            "initial": {
                "medical_school_intake": 1,
                "medical_stage_survival": 1,
                "medical_stage_time": 1,
            },
            "step": {
                "medical_progression": 1,
                "medical_graduates": 1,
                "medical_dropout_late": 1,
            },
        }
    },
)
def medical_students_late():
    """
    Medical students in the clinical years.
    """
    return _integ_medical_students_late()


_integ_medical_students_late = Integ(
    lambda: medical_progression() - medical_graduates() - medical_dropout_late(),
    lambda: medical_school_intake() * medical_stage_survival() * medical_stage_time(),
    "_integ_medical_students_late",
)


@component.add(
    name="Medical Graduates",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "medical_students_late": 1,
        "medical_stage_survival": 1,
        "medical_stage_time": 1,
    },
)
def medical_graduates():
    """
    Medical students graduating.
    """
    return medical_students_late() * medical_stage_survival() / medical_stage_time()


@component.add(
    name="Medical Dropout Late",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "medical_students_late": 1,
        "medical_stage_survival": 1,
        "medical_stage_time": 1,
    },
)
def medical_dropout_late():
    """
    Clinical-years medical students leaving the course.
    """
    return (
        medical_students_late() * (1 - medical_stage_survival()) / medical_stage_time()
    )


@component.add(
    name="Doctors",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"resident_doctors": 1, "consultants": 1},
)
def doctors():
    """
    All doctors in post.
    """
    return resident_doctors() + consultants()


@component.add(
    name="Resident Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_resident_doctors": 1,
        "initial_doctor_vacancy_rate": 1,
        "establishment_index": 1,
    },
)
def resident_establishment():
    """
    Funded resident doctor posts.
    """
    return (
        initial_resident_doctors()
        / (1 - initial_doctor_vacancy_rate())
        * establishment_index()
    )


@component.add(
    name="Consultant Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_consultants": 1,
        "initial_doctor_vacancy_rate": 1,
        "establishment_index": 1,
    },
)
def consultant_establishment():
    """
    Funded consultant, GP and specialty doctor posts.
    """
    return (
        initial_consultants()
        / (1 - initial_doctor_vacancy_rate())
        * establishment_index()
    )


@component.add(
    name="Doctor Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"resident_establishment": 1, "consultant_establishment": 1},
)
def doctor_establishment():
    """
    Funded doctor posts.
    """
    return resident_establishment() + consultant_establishment()


@component.add(
    name="Resident Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"resident_establishment": 1, "resident_doctors": 1},
)
def resident_vacancies():
    """
    Unfilled resident doctor posts.
    """
    return float(np.maximum(0, resident_establishment() - resident_doctors()))


@component.add(
    name="Consultant Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"consultant_establishment": 1, "consultants": 1},
)
def consultant_vacancies():
    """
    Unfilled senior doctor posts.
    """
    return float(np.maximum(0, consultant_establishment() - consultants()))


@component.add(
    name="Doctor Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"resident_vacancies": 1, "consultant_vacancies": 1},
)
def doctor_vacancies():
    """
    Unfilled doctor posts.
    """
    return resident_vacancies() + consultant_vacancies()


@component.add(
    name="Doctor International Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "resident_vacancies": 1,
        "doctor_international_recruitment_rate": 1,
        "international_recruitment_multiplier": 1,
    },
)
def doctor_international_recruits():
    """
    International medical graduates recruited into resident and locally employed posts.
    """
    return (
        resident_vacancies()
        * doctor_international_recruitment_rate()
        * international_recruitment_multiplier()
    )


@component.add(
    name="Doctor Domestic Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "consultant_vacancies": 1,
        "doctor_domestic_recruitment_rate": 1,
        "pay_recruitment_effect": 1,
    },
)
def doctor_domestic_recruits():
    """
    Returners and career-grade domestic joiners into senior posts.
    """
    return (
        consultant_vacancies()
        * doctor_domestic_recruitment_rate()
        * pay_recruitment_effect()
    )


@component.add(
    name="Resident Graduate Joiners",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"medical_graduates": 1, "graduate_join_fraction": 1},
)
def resident_graduate_joiners():
    """
    New medical graduates starting foundation posts.
    """
    return medical_graduates() * graduate_join_fraction()


@component.add(
    name="Resident Progression",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"resident_doctors": 1, "resident_training_time": 1},
)
def resident_progression():
    """
    Residents completing training and taking consultant or GP posts.
    """
    return resident_doctors() / resident_training_time()


@component.add(
    name="Resident Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "resident_doctors": 1,
        "doctor_leaver_rate": 1,
        "leaving_multiplier": 1,
    },
)
def resident_leavers():
    """
    Resident doctors leaving NHS employment.
    """
    return resident_doctors() * doctor_leaver_rate() * leaving_multiplier()


@component.add(
    name="Resident Doctors",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_resident_doctors": 1},
    other_deps={
        "_integ_resident_doctors": {
            "initial": {"initial_resident_doctors": 1},
            "step": {
                "resident_graduate_joiners": 1,
                "doctor_international_recruits": 1,
                "resident_progression": 1,
                "resident_leavers": 1,
            },
        }
    },
)
def resident_doctors():
    """
    Doctors in training and locally employed doctors.
    """
    return _integ_resident_doctors()


_integ_resident_doctors = Integ(
    lambda: resident_graduate_joiners()
    + doctor_international_recruits()
    - resident_progression()
    - resident_leavers(),
    lambda: initial_resident_doctors(),
    "_integ_resident_doctors",
)


@component.add(
    name="Consultant Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"consultants": 1, "doctor_leaver_rate": 1, "leaving_multiplier": 1},
)
def consultant_leavers():
    """
    Consultants and GPs leaving.
    """
    return consultants() * doctor_leaver_rate() * leaving_multiplier()


@component.add(
    name="Consultants",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_consultants": 1},
    other_deps={
        "_integ_consultants": {
            "initial": {"initial_consultants": 1},
            "step": {
                "resident_progression": 1,
                "doctor_domestic_recruits": 1,
                "consultant_leavers": 1,
            },
        }
    },
)
def consultants():
    """
    Consultants, GPs and specialty doctors.
    """
    return _integ_consultants()


_integ_consultants = Integ(
    lambda: resident_progression() + doctor_domestic_recruits() - consultant_leavers(),
    lambda: initial_consultants(),
    "_integ_consultants",
)


@component.add(
    name="Doctor Agency Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"doctor_vacancies": 1, "agency_cover_level": 1},
)
def doctor_agency_staff():
    """
    Locum doctors covering vacancies.
    """
    return doctor_vacancies() * agency_cover_level()


@component.add(
    name="AHP Intake",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "ahp_training_intake": 1,
        "training_intake_multiplier": 1,
        "skill_mix_programme_level": 1,
        "skill_mix_training_uplift": 1,
    },
)
def ahp_intake():
    """
    AHP and new-role students starting; raised by training places and by the skill mix programme.
    """
    return (
        ahp_training_intake()
        * training_intake_multiplier()
        * (1 + skill_mix_training_uplift() * skill_mix_programme_level())
    )


@component.add(
    name="AHP Students",
    units="Students",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_ahp_students": 1},
    other_deps={
        "_integ_ahp_students": {
            "initial": {"ahp_training_intake": 1, "ahp_training_time": 1},
            "step": {"ahp_intake": 1, "ahp_qualifiers": 1, "ahp_student_dropout": 1},
        }
    },
)
def ahp_students():
    """
    AHP students in training.
    """
    return _integ_ahp_students()


_integ_ahp_students = Integ(
    lambda: ahp_intake() - ahp_qualifiers() - ahp_student_dropout(),
    lambda: ahp_training_intake() * ahp_training_time(),
    "_integ_ahp_students",
)


@component.add(
    name="AHP Qualifiers",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahp_students": 1, "ahp_student_attrition": 1, "ahp_training_time": 1},
)
def ahp_qualifiers():
    """
    AHP students qualifying.
    """
    return ahp_students() * (1 - ahp_student_attrition()) / ahp_training_time()


@component.add(
    name="AHP Student Dropout",
    units="Students/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahp_students": 1, "ahp_student_attrition": 1, "ahp_training_time": 1},
)
def ahp_student_dropout():
    """
    AHP students leaving the course.
    """
    return ahp_students() * ahp_student_attrition() / ahp_training_time()


@component.add(
    name="AHP Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_ahps": 1,
        "initial_ahp_vacancy_rate": 1,
        "establishment_index": 1,
    },
)
def ahp_establishment():
    """
    Funded AHP posts.
    """
    return initial_ahps() / (1 - initial_ahp_vacancy_rate()) * establishment_index()


@component.add(
    name="AHP Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahp_establishment": 1, "ahps": 1},
)
def ahp_vacancies():
    """
    Unfilled AHP posts.
    """
    return float(np.maximum(0, ahp_establishment() - ahps()))


@component.add(
    name="AHP Graduate Joiners",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahp_qualifiers": 1, "graduate_join_fraction": 1},
)
def ahp_graduate_joiners():
    """
    Newly qualified AHPs taking NHS posts.
    """
    return ahp_qualifiers() * graduate_join_fraction()


@component.add(
    name="AHP International Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "ahp_vacancies": 1,
        "ahp_international_recruitment_rate": 1,
        "international_recruitment_multiplier": 1,
    },
)
def ahp_international_recruits():
    """
    AHPs recruited from abroad.
    """
    return (
        ahp_vacancies()
        * ahp_international_recruitment_rate()
        * international_recruitment_multiplier()
    )


@component.add(
    name="AHP Domestic Recruits",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "ahp_vacancies": 1,
        "ahp_domestic_recruitment_rate": 1,
        "pay_recruitment_effect": 1,
    },
)
def ahp_domestic_recruits():
    """
    Domestic AHP joiners.
    """
    return ahp_vacancies() * ahp_domestic_recruitment_rate() * pay_recruitment_effect()


@component.add(
    name="AHP Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahps": 1, "ahp_leaver_rate": 1, "leaving_multiplier": 1},
)
def ahp_leavers():
    """
    AHPs leaving.
    """
    return ahps() * ahp_leaver_rate() * leaving_multiplier()


@component.add(
    name="AHPs",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_ahps": 1},
    other_deps={
        "_integ_ahps": {
            "initial": {"initial_ahps": 1},
            "step": {
                "ahp_graduate_joiners": 1,
                "ahp_international_recruits": 1,
                "ahp_domestic_recruits": 1,
                "ahp_leavers": 1,
            },
        }
    },
)
def ahps():
    """
    Allied health professionals and scientists in post.
    """
    return _integ_ahps()


_integ_ahps = Integ(
    lambda: ahp_graduate_joiners()
    + ahp_international_recruits()
    + ahp_domestic_recruits()
    - ahp_leavers(),
    lambda: initial_ahps(),
    "_integ_ahps",
)


@component.add(
    name="AHP Agency Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ahp_vacancies": 1, "agency_cover_level": 1},
)
def ahp_agency_staff():
    """
    Agency AHPs.
    """
    return ahp_vacancies() * agency_cover_level()


@component.add(
    name="Support Staff Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_support_staff": 1,
        "initial_support_staff_vacancy_rate": 1,
        "establishment_index": 1,
    },
)
def support_staff_establishment():
    """
    Funded support posts.
    """
    return (
        initial_support_staff()
        / (1 - initial_support_staff_vacancy_rate())
        * establishment_index()
    )


@component.add(
    name="Support Staff Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"support_staff_establishment": 1, "support_staff": 1},
)
def support_staff_vacancies():
    """
    Unfilled support posts (posts held by people still in induction count as unfilled).
    """
    return float(np.maximum(0, support_staff_establishment() - support_staff()))


@component.add(
    name="Support Staff Hiring",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "support_staff_vacancies": 1,
        "support_staff_recruitment_rate": 1,
        "pay_recruitment_effect": 1,
    },
)
def support_staff_hiring():
    """
    Support staff hired into induction.
    """
    return (
        support_staff_vacancies()
        * support_staff_recruitment_rate()
        * pay_recruitment_effect()
    )


@component.add(
    name="Support Staff Trainees",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_support_staff_trainees": 1},
    other_deps={
        "_integ_support_staff_trainees": {
            "initial": {
                "initial_support_staff": 1,
                "initial_support_staff_vacancy_rate": 2,
                "support_staff_recruitment_rate": 1,
                "support_staff_induction_time": 1,
            },
            "step": {"support_staff_hiring": 1, "support_staff_inductions": 1},
        }
    },
)
def support_staff_trainees():
    """
    Support staff in induction or apprenticeship, not yet counted in post.
    """
    return _integ_support_staff_trainees()


_integ_support_staff_trainees = Integ(
    lambda: support_staff_hiring() - support_staff_inductions(),
    lambda: initial_support_staff()
    * initial_support_staff_vacancy_rate()
    / (1 - initial_support_staff_vacancy_rate())
    * support_staff_recruitment_rate()
    * support_staff_induction_time(),
    "_integ_support_staff_trainees",
)


@component.add(
    name="Support Staff Inductions",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"support_staff_trainees": 1, "support_staff_induction_time": 1},
)
def support_staff_inductions():
    """
    Support staff completing induction.
    """
    return support_staff_trainees() / support_staff_induction_time()


@component.add(
    name="Support Staff Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "support_staff": 1,
        "support_staff_leaver_rate": 1,
        "leaving_multiplier": 1,
    },
)
def support_staff_leavers():
    """
    Support staff leaving.
    """
    return support_staff() * support_staff_leaver_rate() * leaving_multiplier()


@component.add(
    name="Support Staff",
    units="FTE",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_support_staff": 1},
    other_deps={
        "_integ_support_staff": {
            "initial": {"initial_support_staff": 1},
            "step": {"support_staff_inductions": 1, "support_staff_leavers": 1},
        }
    },
)
def support_staff():
    """
    Support staff in post.
    """
    return _integ_support_staff()


_integ_support_staff = Integ(
    lambda: support_staff_inductions() - support_staff_leavers(),
    lambda: initial_support_staff(),
    "_integ_support_staff",
)


@component.add(
    name="Support Staff Agency Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"support_staff_vacancies": 1, "agency_cover_level": 1},
)
def support_staff_agency_staff():
    """
    Agency support staff.
    """
    return support_staff_vacancies() * agency_cover_level()


@component.add(
    name="Total Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurses": 1, "doctors": 1, "ahps": 1, "support_staff": 1},
)
def total_staff():
    """
    Substantive staff in post (excluding students, trainees in induction and agency).
    """
    return nurses() + doctors() + ahps() + support_staff()


@component.add(
    name="Total Agency Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_agency_staff": 1,
        "doctor_agency_staff": 1,
        "ahp_agency_staff": 1,
        "support_staff_agency_staff": 1,
    },
)
def total_agency_staff():
    """
    Agency staff covering vacancies.
    """
    return (
        nurse_agency_staff()
        + doctor_agency_staff()
        + ahp_agency_staff()
        + support_staff_agency_staff()
    )


@component.add(
    name="Total Establishment",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_establishment": 1,
        "doctor_establishment": 1,
        "ahp_establishment": 1,
        "support_staff_establishment": 1,
    },
)
def total_establishment():
    """
    Funded posts.
    """
    return (
        nurse_establishment()
        + doctor_establishment()
        + ahp_establishment()
        + support_staff_establishment()
    )


@component.add(
    name="Total Vacancies",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_vacancies": 1,
        "doctor_vacancies": 1,
        "ahp_vacancies": 1,
        "support_staff_vacancies": 1,
    },
)
def total_vacancies():
    """
    Unfilled funded posts.
    """
    return (
        nurse_vacancies()
        + doctor_vacancies()
        + ahp_vacancies()
        + support_staff_vacancies()
    )


@component.add(
    name="Vacancy Rate",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"total_vacancies": 1, "total_establishment": 1},
)
def vacancy_rate():
    """
    Unfilled posts as a share of funded posts.
    """
    return zidz(total_vacancies(), total_establishment())


@component.add(
    name="Total Leavers",
    units="FTE/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_leavers": 1,
        "resident_leavers": 1,
        "consultant_leavers": 1,
        "ahp_leavers": 1,
        "support_staff_leavers": 1,
    },
)
def total_leavers():
    """
    All staff leaving.
    """
    return (
        nurse_leavers()
        + resident_leavers()
        + consultant_leavers()
        + ahp_leavers()
        + support_staff_leavers()
    )


@component.add(
    name="Staff Turnover Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"total_leavers": 1, "total_staff": 1},
)
def staff_turnover_rate():
    """
    Leavers as a share of staff in post.
    """
    return zidz(total_leavers(), total_staff())


@component.add(
    name="Nurses per Doctor",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"nurses": 1, "doctors": 1},
)
def nurses_per_doctor():
    """
    Skill mix indicator; reference figures: 3.0 (2010/11) to 2.6 (2018/19).
    """
    return zidz(nurses(), doctors())


@component.add(
    name="Demand Growth Rate",
    units="1/Year",
    limits=(0.02, 0.04),
    comp_type="Constant",
    comp_subtype="Normal",
)
def demand_growth_rate():
    """
    Growth of underlying need for care. Source: parameter anchors, acute activity growth 3% a year (2-4%), Health Foundation 2019 (2010/11-2016/17).
    """
    return 0.03


@component.add(
    name="Initial Elective Referrals",
    units="Patients/Year",
    limits=(18000000.0, 22000000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_elective_referrals():
    """
    New referrals to the elective waiting list a year in 2024. Source: Assumption: about 1.6-1.7m referral-to-treatment clock starts a month in England (recalled, to confirm).
    """
    return 20000000


@component.add(
    name="Initial Emergency Admissions",
    units="Patients/Year",
    limits=(6000000.0, 7000000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_emergency_admissions():
    """
    Emergency admissions a year in 2024, excluding deterioration from the waiting list. Source: Assumption: about 6.5m a year in England (recalled hospital episode statistics, to confirm).
    """
    return 6500000


@component.add(
    name="Emergency Cost Weight",
    units="Dmnl",
    limits=(2.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def emergency_cost_weight():
    """
    Resources used by an emergency admission relative to an elective pathway (cost weighting of output). Source: Assumption.
    """
    return 2.5


@component.add(
    name="Initial Waiting List",
    units="Patients",
    limits=(6500000.0, 7800000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_waiting_list():
    """
    Elective waiting list at the start. Source: parameter anchors, 7.2 million (November 2022, IFS).
    """
    return 7200000


@component.add(
    name="Avoidable Share of Demand",
    units="Dmnl",
    limits=(0.1, 0.25),
    comp_type="Constant",
    comp_subtype="Normal",
)
def avoidable_share_of_demand():
    """
    Share of referrals and emergency admissions that activation and prevention could in principle avoid. Source: Assumption: of the order of ambulatory-care-sensitive admissions (about one in six, recalled).
    """
    return 0.15


@component.add(
    name="Activation Max Reduction",
    units="Dmnl",
    limits=(0.2, 0.38),
    comp_type="Constant",
    comp_subtype="Normal",
)
def activation_max_reduction():
    """
    Reduction of avoidable demand at full patient activation. Source: parameter anchors, Barker et al. BMJ Qual Saf 2018: most vs least activated, emergency admissions x0.62.
    """
    return 0.38


@component.add(
    name="Referral Elasticity to Waiting Time",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def referral_elasticity_to_waiting_time():
    """
    Elasticity of referrals to waiting time (long waits suppress referrals). Source: parameter anchors [A] 0.3 (0-1).
    """
    return 0.3


@component.add(
    name="Deterioration Rate",
    units="1/Year",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def deterioration_rate():
    """
    Share of waiting patients a year who deteriorate into emergency demand. Source: parameter anchors [A] 0.05 (0.02-0.10), after Wolstenholme's fixes that fail.
    """
    return 0.05


@component.add(
    name="Waiting Time Perception Delay",
    units="Year",
    limits=(0.25, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def waiting_time_perception_delay():
    """
    Time for referrers and patients to perceive waiting times. Source: Assumption.
    """
    return 0.5


@component.add(
    name="Maximum Waiting Time",
    units="Year",
    limits=(3.0, 10.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def maximum_waiting_time():
    """
    Cap on the computed mean wait when throughput is near zero. Source: Assumption (numerical guard).
    """
    return 5.0


@component.add(
    name="Target Mean Wait",
    units="Year",
    limits=(0.12, 0.25),
    comp_type="Constant",
    comp_subtype="Normal",
)
def target_mean_wait():
    """
    Mean wait consistent with the 18-week standard (92% within 18 weeks). Source: Assumption.
    """
    return 0.18


@component.add(
    name="Backlog Clearance Time",
    units="Year",
    limits=(3.0, 8.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def backlog_clearance_time():
    """
    Time over which the NHS plans to bring the list back to target. Source: Assumption: recovery plans of about five years.
    """
    return 5.0


@component.add(
    name="Demand Shock",
    units="Dmnl",
    limits=(0.0, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def demand_shock():
    """
    Policy lever (0 = off in the baseline). Sustained fractional increase of need from its start year (tests the capability trap). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Demand Shock Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def demand_shock_start_year():
    """
    Year the lever Demand Shock starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Need Index",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "demand_growth_rate": 1,
        "time": 2,
        "initial_time": 1,
        "demand_shock": 1,
        "demand_shock_start_year": 1,
    },
)
def need_index():
    """
    Underlying need relative to 2024.
    """
    return float(np.exp(demand_growth_rate() * (time() - initial_time()))) * (
        1 + step(__data["time"], demand_shock(), demand_shock_start_year())
    )


@component.add(
    name="Activation Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"activation_max_reduction": 1, "patient_activation_benefit": 1},
)
def activation_effect():
    """
    Share of avoidable demand avoided by patient activation.
    """
    return activation_max_reduction() * patient_activation_benefit()


@component.add(
    name="Demand Reduction from Activation",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"avoidable_share_of_demand": 1, "activation_effect": 1},
)
def demand_reduction_from_activation():
    """
    Share of all demand avoided by patient activation.
    """
    return avoidable_share_of_demand() * activation_effect()


@component.add(
    name="Current Waiting Time",
    units="Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"maximum_waiting_time": 2, "elective_treatments": 1, "waiting_list": 1},
)
def current_waiting_time():
    """
    Mean wait implied by the list and current throughput.
    """
    return float(
        np.minimum(
            maximum_waiting_time(),
            xidz(waiting_list(), elective_treatments(), maximum_waiting_time()),
        )
    )


@component.add(
    name="Initial Waiting Time",
    units="Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"initial_waiting_list": 1, "initial_elective_referrals": 1},
)
def initial_waiting_time():
    """
    Mean wait in 2024 implied by the list and referrals.
    """
    return initial_waiting_list() / initial_elective_referrals()


@component.add(
    name="Perceived Waiting Time",
    units="Year",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_perceived_waiting_time": 1},
    other_deps={
        "_integ_perceived_waiting_time": {
            "initial": {"initial_waiting_time": 1},
            "step": {
                "current_waiting_time": 1,
                "perceived_waiting_time": 1,
                "waiting_time_perception_delay": 1,
            },
        }
    },
)
def perceived_waiting_time():
    """
    Waiting time as perceived by referrers (first-order smooth).
    """
    return _integ_perceived_waiting_time()


_integ_perceived_waiting_time = Integ(
    lambda: (current_waiting_time() - perceived_waiting_time())
    / waiting_time_perception_delay(),
    lambda: initial_waiting_time(),
    "_integ_perceived_waiting_time",
)


@component.add(
    name="Referral Suppression",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "perceived_waiting_time": 1,
        "initial_waiting_time": 1,
        "referral_elasticity_to_waiting_time": 1,
    },
)
def referral_suppression():
    """
    Long waits suppress referrals (balancing loop).
    """
    return float(
        np.power(
            perceived_waiting_time() / initial_waiting_time(),
            -referral_elasticity_to_waiting_time(),
        )
    )


@component.add(
    name="Elective Referrals",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_elective_referrals": 1,
        "need_index": 1,
        "demand_reduction_from_activation": 1,
        "referral_suppression": 1,
    },
)
def elective_referrals():
    """
    Patients added to the waiting list.
    """
    return (
        initial_elective_referrals()
        * need_index()
        * (1 - demand_reduction_from_activation())
        * referral_suppression()
    )


@component.add(
    name="Deterioration",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"waiting_list": 1, "deterioration_rate": 1},
)
def deterioration():
    """
    Waiting patients who deteriorate and arrive as emergencies (failure demand).
    """
    return waiting_list() * deterioration_rate()


@component.add(
    name="Emergency Admissions",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_emergency_admissions": 1,
        "need_index": 1,
        "demand_reduction_from_activation": 1,
        "deterioration": 1,
    },
)
def emergency_admissions():
    """
    Emergency admissions including failure demand.
    """
    return (
        initial_emergency_admissions()
        * need_index()
        * (1 - demand_reduction_from_activation())
        + deterioration()
    )


@component.add(
    name="Avoidable Demand",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "avoidable_share_of_demand": 1,
        "need_index": 1,
        "initial_elective_referrals": 1,
        "initial_emergency_admissions": 1,
        "activation_effect": 1,
        "deterioration": 1,
    },
)
def avoidable_demand():
    """
    Demand that activation, prevention and timely treatment could avoid: the avoidable part of referrals and admissions not yet avoided, plus failure demand from deterioration on the list.
    """
    return (
        avoidable_share_of_demand()
        * need_index()
        * (initial_elective_referrals() + initial_emergency_admissions())
        * (1 - activation_effect())
        + deterioration()
    )


@component.add(
    name="Long Wait Removal Rate",
    units="1/Year",
    limits=(0.0, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def long_wait_removal_rate():
    """
    Share of the list leaving a year (private treatment, validation, giving up) per unit rise of the perceived wait above its 2024 level. Source: Assumption.
    """
    return 0.1


@component.add(
    name="Long Wait Removals",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "waiting_list": 1,
        "long_wait_removal_rate": 1,
        "perceived_waiting_time": 1,
        "initial_waiting_time": 1,
    },
)
def long_wait_removals():
    """
    Patients leaving the NHS list because waits have grown (none at 2024 waits).
    """
    return (
        waiting_list()
        * long_wait_removal_rate()
        * float(np.maximum(0, perceived_waiting_time() / initial_waiting_time() - 1))
    )


@component.add(
    name="Waiting List",
    units="Patients",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_waiting_list": 1},
    other_deps={
        "_integ_waiting_list": {
            "initial": {"initial_waiting_list": 1},
            "step": {
                "elective_referrals": 1,
                "elective_treatments": 1,
                "deterioration": 1,
                "long_wait_removals": 1,
            },
        }
    },
)
def waiting_list():
    """
    Patients waiting for elective treatment.
    """
    return _integ_waiting_list()


_integ_waiting_list = Integ(
    lambda: elective_referrals()
    - elective_treatments()
    - deterioration()
    - long_wait_removals(),
    lambda: initial_waiting_list(),
    "_integ_waiting_list",
)


@component.add(
    name="Target Waiting List",
    units="Patients",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"elective_referrals": 1, "target_mean_wait": 1},
)
def target_waiting_list():
    """
    List size consistent with the access standard.
    """
    return elective_referrals() * target_mean_wait()


@component.add(
    name="Desired Elective Treatments",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "elective_referrals": 1,
        "backlog_clearance_time": 1,
        "waiting_list": 1,
        "target_waiting_list": 1,
    },
)
def desired_elective_treatments():
    """
    Elective throughput needed to meet referrals and clear the backlog.
    """
    return float(
        np.maximum(
            0,
            elective_referrals()
            + (waiting_list() - target_waiting_list()) / backlog_clearance_time(),
        )
    )


@component.add(
    name="Emergency Workload",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"emergency_admissions": 1, "emergency_cost_weight": 1},
)
def emergency_workload():
    """
    Emergency demand in elective-equivalent units.
    """
    return emergency_admissions() * emergency_cost_weight()


@component.add(
    name="Desired Output",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"emergency_workload": 1, "desired_elective_treatments": 1},
)
def desired_output():
    """
    Cost-weighted activity needed to hold access and quality.
    """
    return emergency_workload() + desired_elective_treatments()


@component.add(
    name="Initial Acute Beds",
    units="Beds",
    limits=(95000.0, 105000.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_acute_beds():
    """
    General and acute beds in 2024. Source: parameter anchors, about 100,000 beds (Health Foundation).
    """
    return 101000


@component.add(
    name="Bed Growth Rate",
    units="1/Year",
    limits=(0.0, 0.03),
    comp_type="Constant",
    comp_subtype="Normal",
)
def bed_growth_rate():
    """
    Growth of acute beds (and equivalent virtual-ward capacity). Source: Assumption: beds roughly flat since 2010; current plans add beds and virtual wards, about 1.5% a year.
    """
    return 0.015


@component.add(
    name="Base Emergency Length of Stay",
    units="Days",
    limits=(3.2, 4.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def base_emergency_length_of_stay():
    """
    Clinically needed length of stay per emergency admission in 2024 (including same-day stays). Source: Assumption: calibrated so general and acute occupancy is about 0.94 in 2024.
    """
    return 3.8


@component.add(
    name="Base Delayed Discharge Days",
    units="Days",
    limits=(0.65, 0.8),
    comp_type="Constant",
    comp_subtype="Normal",
)
def base_delayed_discharge_days():
    """
    Bed days per emergency admission held by patients fit for discharge. Source: parameter anchors: 13,000 of about 100,000 beds (12-14k), Health Foundation 2022: 13,000 x 365 / 6.5m admissions.
    """
    return 0.73


@component.add(
    name="Length of Stay Trend",
    units="1/Year",
    limits=(0.005, 0.025),
    comp_type="Constant",
    comp_subtype="Normal",
)
def length_of_stay_trend():
    """
    Underlying fall in length of stay from clinical practice. Source: Assumption: long-run decline of 1-2% a year (recalled, to confirm).
    """
    return 0.015


@component.add(
    name="Elective Inpatient Share",
    units="Dmnl",
    limits=(0.04, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def elective_inpatient_share():
    """
    Share of elective pathways needing an overnight bed. Source: Assumption.
    """
    return 0.06


@component.add(
    name="Elective Length of Stay",
    units="Days",
    limits=(2.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def elective_length_of_stay():
    """
    Length of stay of elective inpatients. Source: Assumption.
    """
    return 3.0


@component.add(
    name="Days per Year",
    units="Days/Year",
    limits=(365.0, 366.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def days_per_year():
    """
    Unit conversion. Source: definition (days in a year).
    """
    return 365


@component.add(
    name="Safe Bed Occupancy",
    units="Dmnl",
    limits=(0.85, 0.92),
    comp_type="Constant",
    comp_subtype="Normal",
)
def safe_bed_occupancy():
    """
    Occupancy above which flow degrades. Source: parameter anchors: 0.85 risk, 0.90 regular crises, 0.925 mortality jump (Bagust et al. BMJ 1999; Kuntz et al. Mgmt Sci 2015).
    """
    return 0.85


@component.add(
    name="Gridlock Sensitivity",
    units="Dmnl",
    limits=(1.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def gridlock_sensitivity():
    """
    Strength of elective cancellations as occupancy exceeds the safe level (quadratic). Source: Assumption: calibrated so that gridlock cancels about 2% of planned electives in 2024.
    """
    return 2.2


@component.add(
    name="Maximum Work Intensity",
    units="Dmnl",
    limits=(1.05, 1.2),
    comp_type="Constant",
    comp_subtype="Normal",
)
def maximum_work_intensity():
    """
    Highest sustainable intensity (overtime, skipped breaks) relative to normal. Source: parameter anchors: sustained overtime of 10-20% (burnout reference behaviour).
    """
    return 1.15


@component.add(
    name="Overtime Elasticity",
    units="Dmnl",
    limits=(0.2, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def overtime_elasticity():
    """
    Elasticity of intensity to work pressure near normal pressure. Source: parameter anchors, Oliva and Sterman 2001: elasticity of overtime to work pressure 1 (0-2).
    """
    return 1.0


@component.add(
    name="Minimum Treatment Time",
    units="Year",
    limits=(0.04, 0.12),
    comp_type="Constant",
    comp_subtype="Normal",
)
def minimum_treatment_time():
    """
    Shortest time to treat the whole list if capacity were unlimited. Source: Assumption (about four weeks).
    """
    return 0.08


@component.add(
    name="Flow LOS Reduction",
    units="Dmnl",
    limits=(0.05, 0.25),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_los_reduction():
    """
    Reduction of emergency length of stay at full flow improvement. Source: Assumption, from parameter anchors: ERAS 3 days shorter stays for the pathways it covers; Lean reduced LOS in 19 of 22 studies (Tlapa et al. 2020).
    """
    return 0.15


@component.add(
    name="D2A Delay Reduction",
    units="Dmnl",
    limits=(0.15, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def d2a_delay_reduction():
    """
    Reduction of delayed discharge at full flow improvement. Source: reference figures: Discharge to Assess, +34% discharged same or next day.
    """
    return 0.34


@component.add(
    name="Theatre Utilisation Gain",
    units="Dmnl",
    limits=(0.05, 0.2),
    comp_type="Constant",
    comp_subtype="Normal",
)
def theatre_utilisation_gain():
    """
    Extra elective throughput at full flow improvement. Source: Assumption, from reference figures: 38% of theatre lists not run to capacity.
    """
    return 0.1


@component.add(
    name="Doctor Output Weight",
    units="Dmnl",
    limits=(0.2, 0.35),
    comp_type="Constant",
    comp_subtype="Normal",
)
def doctor_output_weight():
    """
    Output elasticity of doctors in the staff capacity index. Source: Assumption: doctors' share of the pay bill (about 27%).
    """
    return 0.27


@component.add(
    name="Nurse Output Weight",
    units="Dmnl",
    limits=(0.25, 0.35),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nurse_output_weight():
    """
    Output elasticity of nurses. Source: Assumption: nurses' share of the pay bill.
    """
    return 0.29


@component.add(
    name="AHP Output Weight",
    units="Dmnl",
    limits=(0.1, 0.16),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ahp_output_weight():
    """
    Output elasticity of AHPs. Source: Assumption: AHPs' share of the pay bill.
    """
    return 0.12


@component.add(
    name="Flow Programme",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_programme():
    """
    Policy lever (0 = off in the baseline). Share of services with a funded flow improvement programme (Discharge to Assess, Lean, theatre scheduling). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Flow Programme Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_programme_start_year():
    """
    Year the lever Flow Programme starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Acute Beds",
    units="Beds",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_acute_beds": 1},
    other_deps={
        "_integ_acute_beds": {
            "initial": {"initial_acute_beds": 1},
            "step": {"bed_additions": 1},
        }
    },
)
def acute_beds():
    """
    General and acute beds.
    """
    return _integ_acute_beds()


_integ_acute_beds = Integ(
    lambda: bed_additions(), lambda: initial_acute_beds(), "_integ_acute_beds"
)


@component.add(
    name="Escalation Bed Response",
    units="1/Year",
    limits=(0.0, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def escalation_bed_response():
    """
    Beds opened a year (as a share of beds) per unit of occupancy above 0.95 (escalation and virtual-ward capacity under sustained crowding). Source: Assumption.
    """
    return 0.1


@component.add(
    name="Bed Additions",
    units="Beds/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "acute_beds": 1,
        "bed_growth_rate": 1,
        "escalation_bed_response": 1,
        "bed_occupancy": 1,
    },
)
def bed_additions():
    """
    New beds opened: planned growth plus escalation under crowding.
    """
    return acute_beds() * (
        bed_growth_rate()
        + escalation_bed_response() * float(np.maximum(0, bed_occupancy() - 0.95))
    )


@component.add(
    name="Emergency Length of Stay",
    units="Days",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "base_emergency_length_of_stay": 1,
        "time": 1,
        "length_of_stay_trend": 1,
        "initial_time": 1,
        "flow_los_reduction": 1,
        "flow_benefit": 1,
    },
)
def emergency_length_of_stay():
    """
    Clinically needed stay per emergency admission.
    """
    return (
        base_emergency_length_of_stay()
        * float(np.exp(-length_of_stay_trend() * (time() - initial_time())))
        * (1 - flow_los_reduction() * flow_benefit())
    )


@component.add(
    name="Delayed Discharge Days",
    units="Days",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "base_delayed_discharge_days": 1,
        "d2a_delay_reduction": 1,
        "flow_benefit": 1,
    },
)
def delayed_discharge_days():
    """
    Bed days per admission held by patients fit for discharge.
    """
    return base_delayed_discharge_days() * (1 - d2a_delay_reduction() * flow_benefit())


@component.add(
    name="Bed Days Required",
    units="Days/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "emergency_admissions": 1,
        "emergency_length_of_stay": 1,
        "delayed_discharge_days": 1,
        "elective_inpatient_share": 1,
        "elective_length_of_stay": 1,
        "desired_elective_treatments": 1,
    },
)
def bed_days_required():
    """
    Bed days needed for emergency and planned elective inpatients.
    """
    return (
        emergency_admissions() * (emergency_length_of_stay() + delayed_discharge_days())
        + desired_elective_treatments()
        * elective_inpatient_share()
        * elective_length_of_stay()
    )


@component.add(
    name="Bed Occupancy",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"bed_days_required": 1, "acute_beds": 1, "days_per_year": 1},
)
def bed_occupancy():
    """
    Occupancy of general and acute beds (above 1 means corridor care and outliers).
    """
    return bed_days_required() / (acute_beds() * days_per_year())


@component.add(
    name="Flow Efficiency",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"gridlock_sensitivity": 1, "safe_bed_occupancy": 1, "bed_occupancy": 1},
)
def flow_efficiency():
    """
    Share of elective capacity not lost to cancellations and blocked flow (flow gridlock); beyond 125% occupancy emergency care overflows outside acute beds and gridlock gets no worse.
    """
    return float(
        np.exp(
            -gridlock_sensitivity()
            * float(
                np.power(
                    float(
                        np.maximum(
                            0,
                            float(np.minimum(bed_occupancy(), 1.25))
                            - safe_bed_occupancy(),
                        )
                    ),
                    2,
                )
            )
        )
    )


@component.add(
    name="Support Staff Output Weight",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "doctor_output_weight": 1,
        "nurse_output_weight": 1,
        "ahp_output_weight": 1,
    },
)
def support_staff_output_weight():
    """
    Output elasticity of support staff: the rest, so weights sum to 1.
    """
    return float(
        np.maximum(
            0, 1 - doctor_output_weight() - nurse_output_weight() - ahp_output_weight()
        )
    )


@component.add(
    name="Effective Doctors",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "doctors": 1,
        "doctor_agency_staff": 1,
        "agency_effectiveness": 1,
        "staff_availability": 1,
    },
)
def effective_doctors():
    """
    Doctor time available for care.
    """
    return (
        doctors() + doctor_agency_staff() * agency_effectiveness()
    ) * staff_availability()


@component.add(
    name="Effective Nurses",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurses": 1,
        "nurse_agency_staff": 1,
        "agency_effectiveness": 1,
        "staff_availability": 1,
    },
)
def effective_nurses():
    """
    Nurse time available for care.
    """
    return (
        nurses() + nurse_agency_staff() * agency_effectiveness()
    ) * staff_availability()


@component.add(
    name="Effective AHPs",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "ahps": 1,
        "ahp_agency_staff": 1,
        "agency_effectiveness": 1,
        "staff_availability": 1,
    },
)
def effective_ahps():
    """
    AHP time available for care.
    """
    return (ahps() + ahp_agency_staff() * agency_effectiveness()) * staff_availability()


@component.add(
    name="Effective Support Staff",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "support_staff": 1,
        "support_staff_agency_staff": 1,
        "agency_effectiveness": 1,
        "staff_availability": 1,
    },
)
def effective_support_staff():
    """
    Support staff time available.
    """
    return (
        support_staff() + support_staff_agency_staff() * agency_effectiveness()
    ) * staff_availability()


@component.add(
    name="Staff Capacity Index",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "effective_doctors": 1,
        "_initial_staff_capacity_index": 1,
        "doctor_output_weight": 1,
        "_initial_staff_capacity_index_1": 1,
        "effective_nurses": 1,
        "nurse_output_weight": 1,
        "_initial_staff_capacity_index_2": 1,
        "ahp_output_weight": 1,
        "effective_ahps": 1,
        "_initial_staff_capacity_index_3": 1,
        "support_staff_output_weight": 1,
        "effective_support_staff": 1,
    },
    other_deps={
        "_initial_staff_capacity_index": {
            "initial": {"effective_doctors": 1},
            "step": {},
        },
        "_initial_staff_capacity_index_1": {
            "initial": {"effective_nurses": 1},
            "step": {},
        },
        "_initial_staff_capacity_index_2": {
            "initial": {"effective_ahps": 1},
            "step": {},
        },
        "_initial_staff_capacity_index_3": {
            "initial": {"effective_support_staff": 1},
            "step": {},
        },
    },
)
def staff_capacity_index():
    """
    Staff contribution to capacity relative to 2024 (Cobb-Douglas in the four groups: any group at zero gives zero output; the skill mix matters).
    """
    return (
        float(
            np.power(
                xidz(effective_doctors(), _initial_staff_capacity_index(), 0),
                doctor_output_weight(),
            )
        )
        * float(
            np.power(
                xidz(effective_nurses(), _initial_staff_capacity_index_1(), 0),
                nurse_output_weight(),
            )
        )
        * float(
            np.power(
                xidz(effective_ahps(), _initial_staff_capacity_index_2(), 0),
                ahp_output_weight(),
            )
        )
        * float(
            np.power(
                xidz(effective_support_staff(), _initial_staff_capacity_index_3(), 0),
                support_staff_output_weight(),
            )
        )
    )


_initial_staff_capacity_index = Initial(
    lambda: effective_doctors(), "_initial_staff_capacity_index"
)

_initial_staff_capacity_index_1 = Initial(
    lambda: effective_nurses(), "_initial_staff_capacity_index_1"
)

_initial_staff_capacity_index_2 = Initial(
    lambda: effective_ahps(), "_initial_staff_capacity_index_2"
)

_initial_staff_capacity_index_3 = Initial(
    lambda: effective_support_staff(), "_initial_staff_capacity_index_3"
)


@component.add(
    name="Reference Capacity",
    units="Patients/Year",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={"_initial_reference_capacity": 1},
    other_deps={
        "_initial_reference_capacity": {
            "initial": {
                "workload": 1,
                "reference_work_pressure": 1,
                "flow_efficiency": 1,
            },
            "step": {},
        }
    },
)
def reference_capacity():
    """
    Cost-weighted activity the 2024 workforce and non-labour inputs deliver at normal intensity, calibrated so that 2024 work pressure equals Reference Work Pressure whatever the other parameters (about 34.6m elective-equivalent patients a year at the defaults, with the waiting list roughly stable as in 2023-2024).
    """
    return _initial_reference_capacity()


_initial_reference_capacity = Initial(
    lambda: workload() / (reference_work_pressure() * flow_efficiency()),
    "_initial_reference_capacity",
)


@component.add(
    name="Normal Capacity",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "reference_capacity": 1,
        "labour_share_of_cost": 2,
        "staff_capacity_index": 1,
        "non_pay_capacity_index": 1,
        "labour_productivity_multiplier": 1,
    },
)
def normal_capacity():
    """
    Cost-weighted activity deliverable at normal intensity.
    """
    return (
        reference_capacity()
        * float(np.power(staff_capacity_index(), labour_share_of_cost()))
        * float(np.power(non_pay_capacity_index(), 1 - labour_share_of_cost()))
        * labour_productivity_multiplier()
    )


@component.add(
    name="Backlog Pressure Weight",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def backlog_pressure_weight():
    """
    Share of the planned backlog clearance that staff feel as workload. Source: Assumption: a growing list is felt mainly through waits and deterioration, not as immediate work.
    """
    return 0.25


@component.add(
    name="Workload",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "emergency_workload": 1,
        "elective_referrals": 1,
        "backlog_pressure_weight": 1,
        "backlog_clearance_time": 1,
        "waiting_list": 1,
        "target_waiting_list": 1,
    },
)
def workload():
    """
    Work arriving at the front line: emergencies, new referrals and part of the backlog.
    """
    return (
        emergency_workload()
        + elective_referrals()
        + backlog_pressure_weight()
        * float(np.maximum(0, waiting_list() - target_waiting_list()))
        / backlog_clearance_time()
    )


@component.add(
    name="Work Pressure",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"workload": 1, "normal_capacity": 1, "flow_efficiency": 1},
)
def work_pressure():
    """
    Workload relative to normal capacity net of blocked flow (capped at 3).
    """
    return float(
        np.minimum(3, xidz(workload(), normal_capacity() * flow_efficiency(), 3))
    )


@component.add(
    name="Work Intensity",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "maximum_work_intensity": 3,
        "overtime_elasticity": 2,
        "work_pressure": 2,
    },
)
def work_intensity():
    """
    Working harder: intensity follows pressure with the given elasticity near 1 and saturates smoothly at the maximum (a tanh curve; slack below normal pressure).
    """
    return 1 + (maximum_work_intensity() - 1) * (
        1
        - float(
            np.exp(
                -2
                * overtime_elasticity()
                * (work_pressure() - 1)
                / (maximum_work_intensity() - 1)
            )
        )
    ) / (
        1
        + float(
            np.exp(
                -2
                * overtime_elasticity()
                * (work_pressure() - 1)
                / (maximum_work_intensity() - 1)
            )
        )
    )


@component.add(
    name="Effective Capacity",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"normal_capacity": 1, "work_intensity": 1},
)
def effective_capacity():
    """
    Activity deliverable at current intensity.
    """
    return normal_capacity() * work_intensity()


@component.add(
    name="Emergency Treatments",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"emergency_workload": 1, "effective_capacity": 1},
)
def emergency_treatments():
    """
    Emergency activity (cost-weighted); emergencies take priority.
    """
    return float(np.minimum(emergency_workload(), effective_capacity()))


@component.add(
    name="Elective Capacity",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "effective_capacity": 1,
        "emergency_treatments": 1,
        "flow_efficiency": 1,
        "theatre_utilisation_gain": 1,
        "flow_benefit": 1,
    },
)
def elective_capacity():
    """
    Capacity left for elective work after emergencies and cancellations.
    """
    return (
        float(np.maximum(0, effective_capacity() - emergency_treatments()))
        * flow_efficiency()
        * (1 + theatre_utilisation_gain() * flow_benefit())
    )


@component.add(
    name="Elective Treatments",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"elective_capacity": 1, "minimum_treatment_time": 1, "waiting_list": 1},
)
def elective_treatments():
    """
    Patients treated from the waiting list.
    """
    return float(
        np.minimum(elective_capacity(), waiting_list() / minimum_treatment_time())
    )


@component.add(
    name="Total Output",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"emergency_treatments": 1, "elective_treatments": 1},
)
def total_output():
    """
    Cost-weighted activity (elective-equivalent patients).
    """
    return emergency_treatments() + elective_treatments()


@component.add(
    name="Initial Improvement Capability",
    units="Dmnl",
    limits=(0.15, 0.35),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_improvement_capability():
    """
    Quality improvement capability in 2024 (0-1: share of teams with skills, data and routines for improvement). Source: Assumption.
    """
    return 0.25


@component.add(
    name="Base Improvement Time Share",
    units="Dmnl",
    limits=(0.0, 0.08),
    comp_type="Constant",
    comp_subtype="Normal",
)
def base_improvement_time_share():
    """
    Share of staff time spent on improvement when not firefighting, unprotected. Source: parameter anchors [A] 0.03 (0.01-0.08); the range includes 0 for the structural test of no improvement time.
    """
    return 0.03


@component.add(
    name="Firefighting Sensitivity",
    units="Dmnl",
    limits=(1.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def firefighting_sensitivity():
    """
    How fast unprotected improvement time is cut as work pressure exceeds normal. Source: Assumption (Repenning and Sterman 2001): 10% excess pressure cuts it by a quarter.
    """
    return 3.0


@component.add(
    name="Deficit Firefighting Sensitivity",
    units="Dmnl",
    limits=(0.0, 10.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def deficit_firefighting_sensitivity():
    """
    How fast unprotected improvement time is cut under financial pressure. Source: Assumption.
    """
    return 5.0


@component.add(
    name="Capability Learning Rate",
    units="1/Year",
    limits=(3.0, 15.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def capability_learning_rate():
    """
    Capability built per year per unit share of staff time on improvement (times the capability gap). Source: Assumption: calibrated so capability is roughly steady at 2024 pressure.
    """
    return 8.5


@component.add(
    name="Capability Erosion Time",
    units="Year",
    limits=(1.0, 5.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def capability_erosion_time():
    """
    Time for capability to decay without use. Source: parameter anchors [A] 3 years (1-5); mechanism Rahmandad and Repenning 2016.
    """
    return 3.0


@component.add(
    name="Firefighting Erosion Sensitivity",
    units="Dmnl",
    limits=(0.0, 5.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def firefighting_erosion_sensitivity():
    """
    Extra erosion of capability per unit excess pressure (firefighting). Source: Assumption.
    """
    return 2.0


@component.add(
    name="Turnover Capability Loss",
    units="Dmnl",
    limits=(0.5, 1.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def turnover_capability_loss():
    """
    Capability lost per unit of staff turnover (leavers take their skills). Source: Assumption.
    """
    return 1.0


@component.add(
    name="Cost per Staff Trained",
    units="GBPbn/FTE",
    limits=(1e-06, 4e-06),
    comp_type="Constant",
    comp_subtype="Normal",
)
def cost_per_staff_trained():
    """
    Cost of quality improvement training and coaching per staff member (GBP 2,000). Source: Assumption.
    """
    return 2e-06


@component.add(
    name="Training Effectiveness",
    units="Dmnl",
    limits=(0.5, 1.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def training_effectiveness():
    """
    Capability gap closed per share of staff trained. Source: Assumption; parameter anchors: East London NHS FT trained 0.07 of staff a year (650 in 2 years of about 5,000), first results after 2 years.
    """
    return 1.0


@component.add(
    name="Maximum Process Improvement Rate",
    units="1/Year",
    limits=(0.01, 0.03),
    comp_type="Constant",
    comp_subtype="Normal",
)
def maximum_process_improvement_rate():
    """
    Fastest sustained gain in process efficiency a year, approached at very high improvement effort. Source: Assumption: calibrated so baseline productivity grows about 0.5-0.9% a year at first (parameter anchors, ONS 1995-2017: 0.9% a year, recent years lower).
    """
    return 0.02


@component.add(
    name="Reference Improvement Effort",
    units="Dmnl",
    limits=(0.004, 0.015),
    comp_type="Constant",
    comp_subtype="Normal",
)
def reference_improvement_effort():
    """
    Improvement effort (capability times improvement time share) that achieves half the maximum rate. Source: Assumption: the 2024 values 0.25 x 0.03.
    """
    return 0.0075


@component.add(
    name="Improvement Opportunity",
    units="Dmnl",
    limits=(0.2, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def improvement_opportunity():
    """
    Headroom for process improvement over 2024 practice (diminishing returns). Source: Assumption; reference figures: 38% of theatre lists not run to capacity.
    """
    return 0.4


@component.add(
    name="Process Efficiency Floor",
    units="Dmnl",
    limits=(0.7, 0.95),
    comp_type="Constant",
    comp_subtype="Normal",
)
def process_efficiency_floor():
    """
    Lowest process efficiency shortcuts can erode to, relative to 2024 practice (core clinical routines persist). Source: Assumption.
    """
    return 0.85


@component.add(
    name="Shortcut Erosion Rate",
    units="1/Year",
    limits=(0.0, 0.06),
    comp_type="Constant",
    comp_subtype="Normal",
)
def shortcut_erosion_rate():
    """
    Loss of process efficiency per year per unit excess pressure (shortcuts, workarounds). Source: Assumption (Repenning and Sterman 2001: shortcuts give better-before-worse).
    """
    return 0.02


@component.add(
    name="Protected Improvement Time",
    units="Dmnl",
    limits=(0.0, 0.05),
    comp_type="Constant",
    comp_subtype="Normal",
)
def protected_improvement_time():
    """
    Policy lever (0 = off in the baseline). Share of all staff time protected for improvement, immune to firefighting. Source: scenario input; parameter anchors share of staff time on improvement 0.01-0.08.
    """
    return 0.0


@component.add(
    name="Protected Improvement Time Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def protected_improvement_time_start_year():
    """
    Year the lever Protected Improvement Time starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Improvement Investment",
    units="GBPbn/Year",
    limits=(0.0, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def improvement_investment():
    """
    Policy lever (0 = off in the baseline). Spending on improvement training, coaching and analytics. Source: scenario input.
    """
    return 0.0


@component.add(
    name="Improvement Investment Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def improvement_investment_start_year():
    """
    Year the lever Improvement Investment starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Protected Time Share",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "protected_improvement_time": 1,
        "protected_improvement_time_start_year": 1,
        "time": 1,
    },
)
def protected_time_share():
    """
    Protected improvement time in force.
    """
    return step(
        __data["time"],
        protected_improvement_time(),
        protected_improvement_time_start_year(),
    )


@component.add(
    name="Firefighting Factor",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "firefighting_sensitivity": 1,
        "perceived_work_pressure": 1,
        "deficit_firefighting_sensitivity": 1,
        "financial_pressure": 1,
    },
)
def firefighting_factor():
    """
    Share of unprotected improvement time that survives firefighting (capability trap).
    """
    return float(
        np.exp(
            -firefighting_sensitivity()
            * float(np.maximum(0, perceived_work_pressure() - 1))
            - deficit_firefighting_sensitivity() * financial_pressure()
        )
    )


@component.add(
    name="Unprotected Improvement Time",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"base_improvement_time_share": 1, "firefighting_factor": 1},
)
def unprotected_improvement_time():
    """
    Improvement time not protected, cut under pressure.
    """
    return base_improvement_time_share() * firefighting_factor()


@component.add(
    name="Improvement Time Share",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"protected_time_share": 1, "unprotected_improvement_time": 1},
)
def improvement_time_share():
    """
    Share of staff time spent on improvement.
    """
    return protected_time_share() + unprotected_improvement_time()


@component.add(
    name="Improvement Investment Spending",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_investment": 1,
        "improvement_investment_start_year": 1,
        "time": 1,
    },
)
def improvement_investment_spending():
    """
    Improvement investment in force.
    """
    return step(
        __data["time"], improvement_investment(), improvement_investment_start_year()
    )


@component.add(
    name="QI Training Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_investment_spending": 1,
        "cost_per_staff_trained": 1,
        "total_staff": 1,
    },
)
def qi_training_rate():
    """
    Share of staff trained in improvement a year (capped at 20%).
    """
    return float(
        np.minimum(
            0.2,
            xidz(
                improvement_investment_spending() / cost_per_staff_trained(),
                total_staff(),
                0,
            ),
        )
    )


@component.add(
    name="Capability Building",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "capability_learning_rate": 1,
        "improvement_time_share": 1,
        "training_effectiveness": 1,
        "qi_training_rate": 1,
        "improvement_capability": 1,
    },
)
def capability_building():
    """
    Capability built by improvement practice and training (work smarter), limited by the gap to full capability.
    """
    return (
        capability_learning_rate() * improvement_time_share()
        + training_effectiveness() * qi_training_rate()
    ) * (1 - improvement_capability())


@component.add(
    name="Capability Erosion",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_capability": 1,
        "staff_turnover_rate": 1,
        "perceived_work_pressure": 1,
        "turnover_capability_loss": 1,
        "capability_erosion_time": 1,
        "firefighting_erosion_sensitivity": 1,
    },
)
def capability_erosion():
    """
    Capability lost through disuse, firefighting and turnover.
    """
    return improvement_capability() * (
        (
            1
            + firefighting_erosion_sensitivity()
            * float(np.maximum(0, perceived_work_pressure() - 1))
        )
        / capability_erosion_time()
        + turnover_capability_loss() * staff_turnover_rate()
    )


@component.add(
    name="Improvement Capability",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_improvement_capability": 1},
    other_deps={
        "_integ_improvement_capability": {
            "initial": {"initial_improvement_capability": 1},
            "step": {"capability_building": 1, "capability_erosion": 1},
        }
    },
)
def improvement_capability():
    """
    Quality improvement capability (0-1).
    """
    return _integ_improvement_capability()


_integ_improvement_capability = Integ(
    lambda: capability_building() - capability_erosion(),
    lambda: initial_improvement_capability(),
    "_integ_improvement_capability",
)


@component.add(
    name="Remaining Improvement Opportunity",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"process_efficiency": 1, "improvement_opportunity": 1},
)
def remaining_improvement_opportunity():
    """
    Share of improvement headroom left (diminishing opportunity).
    """
    return float(
        np.maximum(0, 1 - (process_efficiency() - 1) / improvement_opportunity())
    )


@component.add(
    name="Relative Improvement Effort",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_capability": 1,
        "improvement_time_share": 1,
        "reference_improvement_effort": 1,
    },
)
def relative_improvement_effort():
    """
    Improvement effort relative to the reference (saturating returns).
    """
    return (
        improvement_capability()
        * improvement_time_share()
        / reference_improvement_effort()
    )


@component.add(
    name="Process Improvement",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "process_efficiency": 1,
        "maximum_process_improvement_rate": 1,
        "relative_improvement_effort": 2,
        "remaining_improvement_opportunity": 1,
    },
)
def process_improvement():
    """
    Gains in process efficiency from improvement work.
    """
    return (
        process_efficiency()
        * maximum_process_improvement_rate()
        * relative_improvement_effort()
        / (1 + relative_improvement_effort())
        * remaining_improvement_opportunity()
    )


@component.add(
    name="Process Erosion",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "process_efficiency": 1,
        "process_efficiency_floor": 2,
        "shortcut_erosion_rate": 1,
        "perceived_work_pressure": 1,
    },
)
def process_erosion():
    """
    Loss of process efficiency from shortcuts under pressure, fading towards the floor.
    """
    return (
        float(np.maximum(0, process_efficiency() - process_efficiency_floor()))
        * shortcut_erosion_rate()
        / (1 - process_efficiency_floor())
        * float(np.minimum(1, float(np.maximum(0, perceived_work_pressure() - 1))))
    )


@component.add(
    name="Process Efficiency",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_process_efficiency": 1},
    other_deps={
        "_integ_process_efficiency": {
            "initial": {},
            "step": {"process_improvement": 1, "process_erosion": 1},
        }
    },
)
def process_efficiency():
    """
    Efficiency of care processes relative to 2024 (work smarter).
    """
    return _integ_process_efficiency()


_integ_process_efficiency = Integ(
    lambda: process_improvement() - process_erosion(),
    lambda: 1.0,
    "_integ_process_efficiency",
)


@component.add(
    name="Initial Staff Morale",
    units="Dmnl",
    limits=(0.65, 0.72),
    comp_type="Constant",
    comp_subtype="Normal",
)
def initial_staff_morale():
    """
    Staff morale and engagement in 2024 on a 0-1 scale. Source: parameter anchors [L]: NHS Staff Survey engagement 6.9 of 10 (6.5-7.2).
    """
    return 0.69


@component.add(
    name="Morale Adjustment Time",
    units="Year",
    limits=(0.5, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def morale_adjustment_time():
    """
    Time for morale to adjust to conditions. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Morale Sensitivity to Pressure",
    units="Dmnl",
    limits=(0.5, 3.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def morale_sensitivity_to_pressure():
    """
    Fall of morale per unit of sustained excess pressure. Source: Assumption.
    """
    return 1.5


@component.add(
    name="Morale Elasticity to Pay",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def morale_elasticity_to_pay():
    """
    Elasticity of morale to real pay relative to 2024. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Efficiency Framing Sensitivity",
    units="Year",
    limits=(0.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def efficiency_framing_sensitivity():
    """
    Fall of morale per unit of efficiency requirement or financial pressure (change framed as efficiency). Source: Assumption.
    """
    return 3.0


@component.add(
    name="Ownership Sensitivity",
    units="Dmnl",
    limits=(0.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def ownership_sensitivity():
    """
    Rise of morale per unit share of protected improvement time (ownership and co-design of change). Source: Assumption.
    """
    return 3.0


@component.add(
    name="Results Sensitivity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def results_sensitivity():
    """
    Rise of morale per unit of visible improvement gain (success breeds commitment). Source: Assumption (Repenning 2002).
    """
    return 0.5


@component.add(
    name="Morale Cost of Abandonment",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def morale_cost_of_abandonment():
    """
    Morale lost per unit share of organisations abandoning an initiative (initiative fatigue). Source: parameter anchors [A]: each abandoned programme costs motivation.
    """
    return 0.5


@component.add(
    name="Pressure Effect on Morale",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "morale_sensitivity_to_pressure": 1,
        "sustained_work_pressure": 1,
        "reference_work_pressure": 1,
    },
)
def pressure_effect_on_morale():
    """
    Sustained pressure above 2024 levels lowers morale; relief raises it by at most 5%.
    """
    return float(
        np.minimum(
            1.05,
            float(
                np.exp(
                    -morale_sensitivity_to_pressure()
                    * (sustained_work_pressure() - reference_work_pressure())
                )
            ),
        )
    )


@component.add(
    name="Pay Effect on Morale",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"relative_pay": 1, "morale_elasticity_to_pay": 1},
)
def pay_effect_on_morale():
    """
    Real pay below 2024 levels lowers morale.
    """
    return float(np.power(relative_pay(), morale_elasticity_to_pay()))


@component.add(
    name="Efficiency Framing Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "efficiency_framing_sensitivity": 1,
        "tariff_efficiency_requirement": 1,
        "financial_pressure": 1,
    },
)
def efficiency_framing_effect():
    """
    Change framed as efficiency (tariff cuts, deficits) lowers morale.
    """
    return float(
        np.exp(
            -efficiency_framing_sensitivity()
            * (tariff_efficiency_requirement() + financial_pressure())
        )
    )


@component.add(
    name="Ownership Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"ownership_sensitivity": 1, "protected_time_share": 1},
)
def ownership_effect():
    """
    Ownership and co-design of change through protected improvement time raise morale.
    """
    return float(np.exp(ownership_sensitivity() * protected_time_share()))


@component.add(
    name="Results Effect",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "results_sensitivity": 1,
        "share_of_savings_reinvested": 1,
        "_initial_results_effect": 1,
        "improvement_gain": 1,
    },
    other_deps={
        "_initial_results_effect": {"initial": {"improvement_gain": 1}, "step": {}}
    },
)
def results_effect():
    """
    Visible results of improvement raise morale, in proportion to the share of the gains staff see reinvested in services (equal to the plain effect at half reinvested).
    """
    return float(
        np.exp(
            results_sensitivity()
            * 2
            * share_of_savings_reinvested()
            * (improvement_gain() - _initial_results_effect())
        )
    )


_initial_results_effect = Initial(lambda: improvement_gain(), "_initial_results_effect")


@component.add(
    name="Harvest Morale Sensitivity",
    units="Dmnl",
    limits=(0.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def harvest_morale_sensitivity():
    """
    Fall of morale per unit share of posts removed to harvest productivity gains as cash. Source: Assumption (parameter anchors: harvesting all freed capacity as savings collapses motivation).
    """
    return 1.5


@component.add(
    name="Harvest Effect on Morale",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"harvest_morale_sensitivity": 1, "harvested_share_of_posts": 1},
)
def harvest_effect_on_morale():
    """
    Cutting posts to bank the gains of improvement lowers morale.
    """
    return float(np.exp(-harvest_morale_sensitivity() * harvested_share_of_posts()))


@component.add(
    name="Indicated Morale",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_staff_morale": 1,
        "pressure_effect_on_morale": 1,
        "pay_effect_on_morale": 1,
        "efficiency_framing_effect": 1,
        "ownership_effect": 1,
        "results_effect": 1,
        "harvest_effect_on_morale": 1,
    },
)
def indicated_morale():
    """
    Morale that current conditions would settle at, bounded to 0.3-0.95 (engagement scores have stayed within a narrow band; the floor keeps the index meaningful).
    """
    return float(
        np.minimum(
            0.95,
            float(
                np.maximum(
                    0.3,
                    initial_staff_morale()
                    * pressure_effect_on_morale()
                    * pay_effect_on_morale()
                    * efficiency_framing_effect()
                    * ownership_effect()
                    * results_effect()
                    * harvest_effect_on_morale(),
                )
            ),
        )
    )


@component.add(
    name="Morale Change",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"indicated_morale": 1, "staff_morale": 1, "morale_adjustment_time": 1},
)
def morale_change():
    """
    Adjustment of morale towards the indicated level.
    """
    return (indicated_morale() - staff_morale()) / morale_adjustment_time()


@component.add(
    name="Morale Loss from Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "staff_morale": 1,
        "morale_cost_of_abandonment": 1,
        "total_abandonment": 1,
    },
)
def morale_loss_from_abandonment():
    """
    Initiative fatigue when improvement programmes are abandoned.
    """
    return staff_morale() * morale_cost_of_abandonment() * total_abandonment()


@component.add(
    name="Staff Morale",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_staff_morale": 1},
    other_deps={
        "_integ_staff_morale": {
            "initial": {"initial_staff_morale": 1},
            "step": {"morale_change": 1, "morale_loss_from_abandonment": 1},
        }
    },
)
def staff_morale():
    """
    Staff morale and engagement (0-1).
    """
    return _integ_staff_morale()


_integ_staff_morale = Integ(
    lambda: morale_change() - morale_loss_from_abandonment(),
    lambda: initial_staff_morale(),
    "_integ_staff_morale",
)


@component.add(
    name="Morale Productivity Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "staff_morale": 1,
        "initial_staff_morale": 1,
        "morale_productivity_elasticity": 1,
    },
)
def morale_productivity_effect():
    """
    Discretionary effort rises and falls with morale.
    """
    return float(
        np.power(
            float(np.maximum(staff_morale(), 0.01)) / initial_staff_morale(),
            morale_productivity_elasticity(),
        )
    )


@component.add(
    name="Morale Productivity Elasticity",
    units="Dmnl",
    limits=(0.0, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def morale_productivity_elasticity():
    """
    Elasticity of output per staff to morale. Source: Assumption (staff engagement is associated with trust performance, recalled West and Dawson 2012).
    """
    return 0.2


@component.add(
    name="Reference Agility",
    units="Dmnl",
    limits=(0.3, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def reference_agility():
    """
    Agility at which adoption proceeds at its reference speed. Source: Assumption: about the 2024 value (geometric mean of capability 0.25 and morale 0.69 is 0.42).
    """
    return 0.4


@component.add(
    name="Agility for Full Realisation",
    units="Dmnl",
    limits=(0.5, 0.9),
    comp_type="Constant",
    comp_subtype="Normal",
)
def agility_for_full_realisation():
    """
    Agility at which improvement approaches realise their full potential benefit. Source: Assumption.
    """
    return 0.7


@component.add(
    name="Agility",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"improvement_capability": 1, "staff_morale": 1},
)
def agility():
    """
    Organisational agility: geometric mean of improvement capability and morale (parameter anchors).
    """
    return float(
        np.sqrt(
            float(np.maximum(0, improvement_capability()))
            * float(np.maximum(0, staff_morale()))
        )
    )


@component.add(
    name="Agility Adoption Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"agility": 1, "reference_agility": 1},
)
def agility_adoption_multiplier():
    """
    Speed of adoption relative to reference, scaled by agility.
    """
    return float(np.minimum(2, agility() / reference_agility()))


@component.add(
    name="Agility Abandonment Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"reference_agility": 1, "agility": 1},
)
def agility_abandonment_multiplier():
    """
    Abandonment relative to reference: low agility makes failed implementation more likely.
    """
    return float(np.minimum(3, xidz(reference_agility(), agility(), 3)))


@component.add(
    name="Benefit Realisation",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"agility": 1, "agility_for_full_realisation": 1},
)
def benefit_realisation():
    """
    Share of potential benefit that adopters realise, scaled by agility.
    """
    return float(np.minimum(1, agility() / agility_for_full_realisation()))


@component.add(
    name="Adoption External Influence",
    units="Dmnl",
    limits=(0.1, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def adoption_external_influence():
    """
    Bass external influence times adoption time, for skill mix, activation and flow programmes. Source: Assumption: with the word-of-mouth value, half adoption takes about one adoption time.
    """
    return 0.2


@component.add(
    name="Adoption Word of Mouth",
    units="Dmnl",
    limits=(1.0, 3.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def adoption_word_of_mouth():
    """
    Bass imitation coefficient times adoption time. Source: Assumption (as above).
    """
    return 2.0


@component.add(
    name="Base Abandonment Rate",
    units="1/Year",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def base_abandonment_rate():
    """
    Share of adopters abandoning a non-technology approach a year at reference agility. Source: Assumption, from the parameter anchors' 0.05 base abandonment for technology.
    """
    return 0.05


@component.add(
    name="Skill Mix Adoption Time",
    units="Year",
    limits=(2.0, 6.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_adoption_time():
    """
    Adoption time of skill mix change. Source: parameter anchors: 4 years (2-6).
    """
    return 4.0


@component.add(
    name="Skill Mix Benefit Delay",
    units="Year",
    limits=(2.0, 5.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_benefit_delay():
    """
    Mean delay from adoption to realised benefit of skill mix change. Source: parameter anchors: time to full benefit 2-5 years.
    """
    return 3.0


@component.add(
    name="Skill Mix Disruption",
    units="Dmnl",
    limits=(0.05, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_disruption():
    """
    Productivity lost while skill mix change beds in (supervision). Source: parameter anchors [A]: supervision load 5-10% of supervisor time per trainee.
    """
    return 0.07


@component.add(
    name="Skill Mix Max Gain",
    units="Dmnl",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_max_gain():
    """
    Labour productivity gain at full, fully realised skill mix change. Source: Assumption: reference figures, community pharmacy ADHD monitoring 41% cheaper, applied to about an eighth of tasks.
    """
    return 0.05


@component.add(
    name="Skill Mix Programme Cost",
    units="GBPbn/Year",
    limits=(0.1, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_programme_cost():
    """
    Cost of a full national skill mix programme. Source: Assumption.
    """
    return 0.3


@component.add(
    name="Activation Adoption Time",
    units="Year",
    limits=(2.0, 5.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def activation_adoption_time():
    """
    Adoption time of patient activation. Source: parameter anchors: 3 years (2-5).
    """
    return 3.0


@component.add(
    name="Activation Benefit Delay",
    units="Year",
    limits=(0.5, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def activation_benefit_delay():
    """
    Mean delay to benefit of patient activation. Source: parameter anchors: 0.5-1 year.
    """
    return 0.75


@component.add(
    name="Activation Disruption",
    units="Dmnl",
    limits=(0.0, 0.02),
    comp_type="Constant",
    comp_subtype="Normal",
)
def activation_disruption():
    """
    Productivity lost while activation programmes bed in. Source: parameter anchors: small.
    """
    return 0.005


@component.add(
    name="Activation Programme Cost",
    units="GBPbn/Year",
    limits=(0.05, 0.4),
    comp_type="Constant",
    comp_subtype="Normal",
)
def activation_programme_cost():
    """
    Cost of a full national patient activation programme. Source: Assumption.
    """
    return 0.2


@component.add(
    name="Flow Adoption Time",
    units="Year",
    limits=(1.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_adoption_time():
    """
    Adoption time of flow improvement. Source: parameter anchors: 2 years (1-4).
    """
    return 2.0


@component.add(
    name="Flow Benefit Delay",
    units="Year",
    limits=(0.5, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_benefit_delay():
    """
    Mean delay to benefit of flow improvement. Source: parameter anchors: 0.5-2 years.
    """
    return 1.0


@component.add(
    name="Flow Disruption",
    units="Dmnl",
    limits=(0.0, 0.05),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_disruption():
    """
    Productivity lost while flow changes bed in. Source: parameter anchors: dip of 0-6 months.
    """
    return 0.02


@component.add(
    name="Flow Programme Cost",
    units="GBPbn/Year",
    limits=(0.1, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def flow_programme_cost():
    """
    Cost of a full national flow programme. Source: Assumption.
    """
    return 0.3


@component.add(
    name="Technology Innovation Coefficient",
    units="1/Year",
    limits=(0.01, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_innovation_coefficient():
    """
    Bass innovation coefficient of technology adoption under a fully funded programme. Source: parameter anchors [L]: p about 0.03 a year.
    """
    return 0.03


@component.add(
    name="Technology Imitation Coefficient",
    units="1/Year",
    limits=(0.2, 0.6),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_imitation_coefficient():
    """
    Bass imitation coefficient of technology adoption. Source: parameter anchors [L]: q about 0.38 a year.
    """
    return 0.38


@component.add(
    name="Technology Benefit Delay",
    units="Year",
    limits=(2.0, 4.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_benefit_delay():
    """
    Mean delay from adoption to realised technology benefit. Source: parameter anchors: time to full benefit 2-4 years (robotic surgery about 4, reference figures).
    """
    return 3.0


@component.add(
    name="Technology Disruption",
    units="Dmnl",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_disruption():
    """
    Productivity lost while technology is adopted but not yet mature (J-curve). Source: parameter anchors: about 25% fall after EMR go-live for 3-5 months (Bhargava and Mishra 2014), EHR documentation time +22-46% (Moore et al. 2020); averaged over the maturation period.
    """
    return 0.05


@component.add(
    name="Technology Max Gain",
    units="Dmnl",
    limits=(0.02, 0.15),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_max_gain():
    """
    Labour productivity gain at full, fully realised technology adoption. Source: Assumption; reference figures: mixed effects in 467 studies, barcode medication -33% time (Moore et al. 2020).
    """
    return 0.08


@component.add(
    name="Digital Spending for Full Programme",
    units="GBPbn/Year",
    limits=(0.5, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def digital_spending_for_full_programme():
    """
    Digital infrastructure spending that funds a full national technology programme. Source: Assumption.
    """
    return 1.0


@component.add(
    name="Technology Base Abandonment",
    units="1/Year",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def technology_base_abandonment():
    """
    Share of technology adopters abandoning a year, before complexity. Source: parameter anchors [A]: 0.05.
    """
    return 0.05


@component.add(
    name="Abandonment per Complex Domain",
    units="1/Year",
    limits=(0.02, 0.1),
    comp_type="Constant",
    comp_subtype="Normal",
)
def abandonment_per_complex_domain():
    """
    Extra abandonment a year per complex NASSS domain. Source: parameter anchors [A]: 0.05 per complex domain (Greenhalgh et al. JMIR 2017).
    """
    return 0.05


@component.add(
    name="NASSS Sensitivity",
    units="Dmnl",
    limits=(0.15, 0.5),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_sensitivity():
    """
    k in the NASSS adoption multiplier exp(-k (score - reference)). Source: parameter anchors [A]: 0.15-0.5; with three complex domains scale-up nearly stops.
    """
    return 0.3


@component.add(
    name="Reference NASSS Score",
    units="Dmnl",
    limits=(3.0, 7.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def reference_nasss_score():
    """
    Total NASSS score of a typical technology, at which the Bass coefficients apply. Source: Assumption.
    """
    return 5.0


@component.add(
    name="NASSS Condition Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_condition_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: clinical conditions are often multimorbid (complicated).
    """
    return 1.0


@component.add(
    name="NASSS Technology Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_technology_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: integration with existing records (complicated).
    """
    return 1.0


@component.add(
    name="NASSS Value Proposition Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_value_proposition_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: value to providers usually clear (simple).
    """
    return 0.0


@component.add(
    name="NASSS Adopters Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_adopters_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: staff and patient roles change (complicated).
    """
    return 1.0


@component.add(
    name="NASSS Organisation Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_organisation_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: needs organisational readiness (complicated).
    """
    return 1.0


@component.add(
    name="NASSS Wider Context Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_wider_context_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: regulation and procurement (complicated).
    """
    return 1.0


@component.add(
    name="NASSS Embedding Complexity",
    units="Dmnl",
    limits=(0.0, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def nasss_embedding_complexity():
    """
    NASSS domain score, 0 simple, 1 complicated, 2 complex (Greenhalgh et al. JMIR 2017; parameter anchors). Source: Assumption: embedding and adaptation over time (simple at the start).
    """
    return 0.0


@component.add(
    name="Skill Mix Programme",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_programme():
    """
    Policy lever (0 = off in the baseline). Share of services with a funded skill mix programme (new roles, task shifting). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Skill Mix Programme Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def skill_mix_programme_start_year():
    """
    Year the lever Skill Mix Programme starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Patient Activation Programme",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def patient_activation_programme():
    """
    Policy lever (0 = off in the baseline). Share of the population reached by a funded patient activation programme. Source: scenario input.
    """
    return 0.0


@component.add(
    name="Patient Activation Programme Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def patient_activation_programme_start_year():
    """
    Year the lever Patient Activation Programme starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Digital Infrastructure Spending",
    units="GBPbn/Year",
    limits=(0.0, 3.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def digital_infrastructure_spending():
    """
    Policy lever (0 = off in the baseline). Spending on digital infrastructure and technology-assisted working. Source: scenario input.
    """
    return 0.0


@component.add(
    name="Digital Infrastructure Spending Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def digital_infrastructure_spending_start_year():
    """
    Year the lever Digital Infrastructure Spending starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Skill Mix Programme Level",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_programme": 1,
        "skill_mix_programme_start_year": 1,
        "time": 1,
    },
)
def skill_mix_programme_level():
    """
    Skill mix programme in force.
    """
    return step(__data["time"], skill_mix_programme(), skill_mix_programme_start_year())


@component.add(
    name="Activation Programme Level",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "patient_activation_programme": 1,
        "patient_activation_programme_start_year": 1,
        "time": 1,
    },
)
def activation_programme_level():
    """
    Patient activation programme in force.
    """
    return step(
        __data["time"],
        patient_activation_programme(),
        patient_activation_programme_start_year(),
    )


@component.add(
    name="Flow Programme Level",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"flow_programme": 1, "flow_programme_start_year": 1, "time": 1},
)
def flow_programme_level():
    """
    Flow programme in force.
    """
    return step(__data["time"], flow_programme(), flow_programme_start_year())


@component.add(
    name="Digital Spending",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "digital_infrastructure_spending": 1,
        "digital_infrastructure_spending_start_year": 1,
        "time": 1,
    },
)
def digital_spending():
    """
    Digital spending in force.
    """
    return step(
        __data["time"],
        digital_infrastructure_spending(),
        digital_infrastructure_spending_start_year(),
    )


@component.add(
    name="Digital Programme Level",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"digital_spending": 1, "digital_spending_for_full_programme": 1},
)
def digital_programme_level():
    """
    Intensity of the technology programme (1 = full national programme).
    """
    return float(
        np.minimum(1.5, digital_spending() / digital_spending_for_full_programme())
    )


@component.add(
    name="NASSS Complexity Score",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nasss_condition_complexity": 1,
        "nasss_technology_complexity": 1,
        "nasss_value_proposition_complexity": 1,
        "nasss_adopters_complexity": 1,
        "nasss_organisation_complexity": 1,
        "nasss_wider_context_complexity": 1,
        "nasss_embedding_complexity": 1,
    },
)
def nasss_complexity_score():
    """
    Sum of the seven NASSS domain scores.
    """
    return (
        nasss_condition_complexity()
        + nasss_technology_complexity()
        + nasss_value_proposition_complexity()
        + nasss_adopters_complexity()
        + nasss_organisation_complexity()
        + nasss_wider_context_complexity()
        + nasss_embedding_complexity()
    )


@component.add(
    name="Complex Domain Count",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nasss_condition_complexity": 1,
        "nasss_technology_complexity": 1,
        "nasss_value_proposition_complexity": 1,
        "nasss_adopters_complexity": 1,
        "nasss_organisation_complexity": 1,
        "nasss_wider_context_complexity": 1,
        "nasss_embedding_complexity": 1,
    },
)
def complex_domain_count():
    """
    Number of domains scored complex (fractional scores count in part).
    """
    return (
        float(np.maximum(0, nasss_condition_complexity() - 1))
        + float(np.maximum(0, nasss_technology_complexity() - 1))
        + float(np.maximum(0, nasss_value_proposition_complexity() - 1))
        + float(np.maximum(0, nasss_adopters_complexity() - 1))
        + float(np.maximum(0, nasss_organisation_complexity() - 1))
        + float(np.maximum(0, nasss_wider_context_complexity() - 1))
        + float(np.maximum(0, nasss_embedding_complexity() - 1))
    )


@component.add(
    name="NASSS Adoption Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nasss_sensitivity": 1,
        "reference_nasss_score": 1,
        "nasss_complexity_score": 1,
    },
)
def nasss_adoption_multiplier():
    """
    Complexity slows adoption (NASSS complexity drag); simple technologies spread at most three times faster than the reference.
    """
    return float(
        np.minimum(
            3,
            float(
                np.exp(
                    -nasss_sensitivity()
                    * (nasss_complexity_score() - reference_nasss_score())
                )
            ),
        )
    )


@component.add(
    name="Skill Mix Adoption Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_programme_level": 1,
        "skill_mix_adoption": 2,
        "adoption_word_of_mouth": 1,
        "adoption_external_influence": 1,
        "skill_mix_adoption_time": 1,
        "agility_adoption_multiplier": 1,
    },
)
def skill_mix_adoption_rate():
    """
    Services adopting skill mix change (Bass diffusion scaled by programme and agility).
    """
    return (
        skill_mix_programme_level()
        * (
            adoption_external_influence()
            + adoption_word_of_mouth() * skill_mix_adoption()
        )
        / skill_mix_adoption_time()
        * (1 - skill_mix_adoption())
        * agility_adoption_multiplier()
    )


@component.add(
    name="Skill Mix Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_adoption": 1,
        "base_abandonment_rate": 1,
        "agility_abandonment_multiplier": 1,
    },
)
def skill_mix_abandonment():
    """
    Services abandoning skill mix change (disappointment).
    """
    return (
        skill_mix_adoption()
        * base_abandonment_rate()
        * agility_abandonment_multiplier()
    )


@component.add(
    name="Skill Mix Adoption",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_skill_mix_adoption": 1},
    other_deps={
        "_integ_skill_mix_adoption": {
            "initial": {},
            "step": {"skill_mix_adoption_rate": 1, "skill_mix_abandonment": 1},
        }
    },
)
def skill_mix_adoption():
    """
    Share of services that have adopted skill mix change (0-1).
    """
    return _integ_skill_mix_adoption()


_integ_skill_mix_adoption = Integ(
    lambda: skill_mix_adoption_rate() - skill_mix_abandonment(),
    lambda: 0.0,
    "_integ_skill_mix_adoption",
)


@component.add(
    name="Skill Mix Maturity",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={"_smooth_skill_mix_maturity": 1},
    other_deps={
        "_smooth_skill_mix_maturity": {
            "initial": {"skill_mix_adoption": 1},
            "step": {"skill_mix_adoption": 1, "skill_mix_benefit_delay": 1},
        }
    },
)
def skill_mix_maturity():
    """
    Adoption that has matured into routine practice (third-order delay).
    """
    return _smooth_skill_mix_maturity()


_smooth_skill_mix_maturity = Smooth(
    lambda: skill_mix_adoption(),
    lambda: skill_mix_benefit_delay(),
    lambda: skill_mix_adoption(),
    lambda: 3,
    "_smooth_skill_mix_maturity",
)


@component.add(
    name="Skill Mix Benefit",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"skill_mix_maturity": 1, "benefit_realisation": 1},
)
def skill_mix_benefit():
    """
    Realised share of the potential benefit of skill mix change.
    """
    return skill_mix_maturity() * benefit_realisation()


@component.add(
    name="Skill Mix Disruption Loss",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_adoption": 1,
        "skill_mix_maturity": 1,
        "skill_mix_disruption": 1,
    },
)
def skill_mix_disruption_loss():
    """
    Productivity lost while adoption has not yet matured.
    """
    return (
        float(np.maximum(0, skill_mix_adoption() - skill_mix_maturity()))
        * skill_mix_disruption()
    )


@component.add(
    name="Patient Activation Adoption Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "activation_programme_level": 1,
        "patient_activation_adoption": 2,
        "adoption_word_of_mouth": 1,
        "adoption_external_influence": 1,
        "activation_adoption_time": 1,
        "agility_adoption_multiplier": 1,
    },
)
def patient_activation_adoption_rate():
    """
    Services adopting patient activation change (Bass diffusion scaled by programme and agility).
    """
    return (
        activation_programme_level()
        * (
            adoption_external_influence()
            + adoption_word_of_mouth() * patient_activation_adoption()
        )
        / activation_adoption_time()
        * (1 - patient_activation_adoption())
        * agility_adoption_multiplier()
    )


@component.add(
    name="Patient Activation Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "patient_activation_adoption": 1,
        "base_abandonment_rate": 1,
        "agility_abandonment_multiplier": 1,
    },
)
def patient_activation_abandonment():
    """
    Services abandoning patient activation change (disappointment).
    """
    return (
        patient_activation_adoption()
        * base_abandonment_rate()
        * agility_abandonment_multiplier()
    )


@component.add(
    name="Patient Activation Adoption",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_patient_activation_adoption": 1},
    other_deps={
        "_integ_patient_activation_adoption": {
            "initial": {},
            "step": {
                "patient_activation_adoption_rate": 1,
                "patient_activation_abandonment": 1,
            },
        }
    },
)
def patient_activation_adoption():
    """
    Share of services that have adopted patient activation change (0-1).
    """
    return _integ_patient_activation_adoption()


_integ_patient_activation_adoption = Integ(
    lambda: patient_activation_adoption_rate() - patient_activation_abandonment(),
    lambda: 0.0,
    "_integ_patient_activation_adoption",
)


@component.add(
    name="Patient Activation Maturity",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={"_smooth_patient_activation_maturity": 1},
    other_deps={
        "_smooth_patient_activation_maturity": {
            "initial": {"patient_activation_adoption": 1},
            "step": {"patient_activation_adoption": 1, "activation_benefit_delay": 1},
        }
    },
)
def patient_activation_maturity():
    """
    Adoption that has matured into routine practice (third-order delay).
    """
    return _smooth_patient_activation_maturity()


_smooth_patient_activation_maturity = Smooth(
    lambda: patient_activation_adoption(),
    lambda: activation_benefit_delay(),
    lambda: patient_activation_adoption(),
    lambda: 3,
    "_smooth_patient_activation_maturity",
)


@component.add(
    name="Patient Activation Benefit",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"patient_activation_maturity": 1, "benefit_realisation": 1},
)
def patient_activation_benefit():
    """
    Realised share of the potential benefit of patient activation change.
    """
    return patient_activation_maturity() * benefit_realisation()


@component.add(
    name="Patient Activation Disruption Loss",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "patient_activation_adoption": 1,
        "patient_activation_maturity": 1,
        "activation_disruption": 1,
    },
)
def patient_activation_disruption_loss():
    """
    Productivity lost while adoption has not yet matured.
    """
    return (
        float(
            np.maximum(0, patient_activation_adoption() - patient_activation_maturity())
        )
        * activation_disruption()
    )


@component.add(
    name="Flow Adoption Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "flow_programme_level": 1,
        "flow_adoption": 2,
        "adoption_external_influence": 1,
        "adoption_word_of_mouth": 1,
        "flow_adoption_time": 1,
        "agility_adoption_multiplier": 1,
    },
)
def flow_adoption_rate():
    """
    Services adopting flow change (Bass diffusion scaled by programme and agility).
    """
    return (
        flow_programme_level()
        * (adoption_external_influence() + adoption_word_of_mouth() * flow_adoption())
        / flow_adoption_time()
        * (1 - flow_adoption())
        * agility_adoption_multiplier()
    )


@component.add(
    name="Flow Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "flow_adoption": 1,
        "base_abandonment_rate": 1,
        "agility_abandonment_multiplier": 1,
    },
)
def flow_abandonment():
    """
    Services abandoning flow change (disappointment).
    """
    return flow_adoption() * base_abandonment_rate() * agility_abandonment_multiplier()


@component.add(
    name="Flow Adoption",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_flow_adoption": 1},
    other_deps={
        "_integ_flow_adoption": {
            "initial": {},
            "step": {"flow_adoption_rate": 1, "flow_abandonment": 1},
        }
    },
)
def flow_adoption():
    """
    Share of services that have adopted flow change (0-1).
    """
    return _integ_flow_adoption()


_integ_flow_adoption = Integ(
    lambda: flow_adoption_rate() - flow_abandonment(),
    lambda: 0.0,
    "_integ_flow_adoption",
)


@component.add(
    name="Flow Maturity",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={"_smooth_flow_maturity": 1},
    other_deps={
        "_smooth_flow_maturity": {
            "initial": {"flow_adoption": 1},
            "step": {"flow_adoption": 1, "flow_benefit_delay": 1},
        }
    },
)
def flow_maturity():
    """
    Adoption that has matured into routine practice (third-order delay).
    """
    return _smooth_flow_maturity()


_smooth_flow_maturity = Smooth(
    lambda: flow_adoption(),
    lambda: flow_benefit_delay(),
    lambda: flow_adoption(),
    lambda: 3,
    "_smooth_flow_maturity",
)


@component.add(
    name="Flow Benefit",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"flow_maturity": 1, "benefit_realisation": 1},
)
def flow_benefit():
    """
    Realised share of the potential benefit of flow change.
    """
    return flow_maturity() * benefit_realisation()


@component.add(
    name="Flow Disruption Loss",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"flow_adoption": 1, "flow_maturity": 1, "flow_disruption": 1},
)
def flow_disruption_loss():
    """
    Productivity lost while adoption has not yet matured.
    """
    return float(np.maximum(0, flow_adoption() - flow_maturity())) * flow_disruption()


@component.add(
    name="Technology Adoption Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "digital_programme_level": 1,
        "technology_innovation_coefficient": 1,
        "technology_imitation_coefficient": 1,
        "technology_adoption": 2,
        "agility_adoption_multiplier": 1,
        "nasss_adoption_multiplier": 1,
    },
)
def technology_adoption_rate():
    """
    Services adopting technology-assisted working (Bass diffusion, scaled by funding, agility and NASSS complexity).
    """
    return (
        digital_programme_level()
        * (
            technology_innovation_coefficient()
            + technology_imitation_coefficient() * technology_adoption()
        )
        * (1 - technology_adoption())
        * agility_adoption_multiplier()
        * nasss_adoption_multiplier()
    )


@component.add(
    name="Technology Abandonment Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "technology_base_abandonment": 1,
        "abandonment_per_complex_domain": 1,
        "complex_domain_count": 1,
        "agility_abandonment_multiplier": 1,
    },
)
def technology_abandonment_rate():
    """
    Share of technology adopters abandoning a year.
    """
    return (
        technology_base_abandonment()
        + abandonment_per_complex_domain() * complex_domain_count()
    ) * agility_abandonment_multiplier()


@component.add(
    name="Technology Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"technology_adoption": 1, "technology_abandonment_rate": 1},
)
def technology_abandonment():
    """
    Services abandoning technology (technology J-curve and abandonment).
    """
    return technology_adoption() * technology_abandonment_rate()


@component.add(
    name="Technology Adoption",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_technology_adoption": 1},
    other_deps={
        "_integ_technology_adoption": {
            "initial": {},
            "step": {"technology_adoption_rate": 1, "technology_abandonment": 1},
        }
    },
)
def technology_adoption():
    """
    Share of services using the funded technology (0-1).
    """
    return _integ_technology_adoption()


_integ_technology_adoption = Integ(
    lambda: technology_adoption_rate() - technology_abandonment(),
    lambda: 0.0,
    "_integ_technology_adoption",
)


@component.add(
    name="Technology Maturity",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Smooth",
    depends_on={"_smooth_technology_maturity": 1},
    other_deps={
        "_smooth_technology_maturity": {
            "initial": {"technology_adoption": 1},
            "step": {"technology_adoption": 1, "technology_benefit_delay": 1},
        }
    },
)
def technology_maturity():
    """
    Technology adoption that has matured (workflows redesigned, staff proficient).
    """
    return _smooth_technology_maturity()


_smooth_technology_maturity = Smooth(
    lambda: technology_adoption(),
    lambda: technology_benefit_delay(),
    lambda: technology_adoption(),
    lambda: 3,
    "_smooth_technology_maturity",
)


@component.add(
    name="Technology Benefit",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"technology_maturity": 1, "benefit_realisation": 1},
)
def technology_benefit():
    """
    Realised share of the potential technology benefit.
    """
    return technology_maturity() * benefit_realisation()


@component.add(
    name="Technology Disruption Loss",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "technology_adoption": 1,
        "technology_maturity": 1,
        "technology_disruption": 1,
    },
)
def technology_disruption_loss():
    """
    Productivity lost during implementation (the J-curve).
    """
    return (
        float(np.maximum(0, technology_adoption() - technology_maturity()))
        * technology_disruption()
    )


@component.add(
    name="Total Abandonment",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_abandonment": 1,
        "patient_activation_abandonment": 1,
        "flow_abandonment": 1,
        "technology_abandonment": 1,
    },
)
def total_abandonment():
    """
    Share of services abandoning an initiative a year.
    """
    return (
        skill_mix_abandonment()
        + patient_activation_abandonment()
        + flow_abandonment()
        + technology_abandonment()
    )


@component.add(
    name="Implementation Disruption",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "skill_mix_disruption_loss": 1,
        "patient_activation_disruption_loss": 1,
        "flow_disruption_loss": 1,
        "technology_disruption_loss": 1,
    },
)
def implementation_disruption():
    """
    Total productivity lost to implementation.
    """
    return (
        skill_mix_disruption_loss()
        + patient_activation_disruption_loss()
        + flow_disruption_loss()
        + technology_disruption_loss()
    )


@component.add(
    name="Labour Share of Cost",
    units="Dmnl",
    limits=(0.6, 0.7),
    comp_type="Constant",
    comp_subtype="Normal",
)
def labour_share_of_cost():
    """
    Share of operating cost spent on staff; also the output elasticity of labour. Source: reference figures: about 65%.
    """
    return 0.65


@component.add(
    name="Quality Trend",
    units="1/Year",
    limits=(0.0, 0.005),
    comp_type="Constant",
    comp_subtype="Normal",
)
def quality_trend():
    """
    Growth of the quality adjustment of output from medical progress. Source: parameter anchors, ONS quality adjustment 0.4% a year (0-0.5%).
    """
    return 0.004


@component.add(
    name="Staffing Quality Elasticity",
    units="Dmnl",
    limits=(0.0, 0.3),
    comp_type="Constant",
    comp_subtype="Normal",
)
def staffing_quality_elasticity():
    """
    Elasticity of quality to registered nurse staffing per unit of workload. Source: Assumption, from parameter anchors: fewer registered-nurse hours per patient raise mortality (Griffiths et al. BMJ Open 2016).
    """
    return 0.1


@component.add(
    name="Mortality Occupancy Threshold",
    units="Dmnl",
    limits=(0.9, 0.95),
    comp_type="Constant",
    comp_subtype="Normal",
)
def mortality_occupancy_threshold():
    """
    Occupancy above which mortality rises. Source: parameter anchors: 0.925 (Kuntz et al. 2015).
    """
    return 0.925


@component.add(
    name="Occupancy Quality Sensitivity",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def occupancy_quality_sensitivity():
    """
    Fall of quality per unit occupancy above the threshold. Source: Assumption.
    """
    return 0.2


@component.add(
    name="Real Funding Growth",
    units="1/Year",
    limits=(0.01, 0.04),
    comp_type="Constant",
    comp_subtype="Normal",
)
def real_funding_growth():
    """
    Real growth of core NHS funding. Source: Assumption: about 3% a year, between the 2010s (about 1%) and the long-run average (about 3.6%, recalled); parameter anchors: 3.3% (2.8-3.5%) needed to hold standards (Health Foundation/IFS 2018).
    """
    return 0.03


@component.add(
    name="Funding per Percent Productivity",
    units="GBPbn/Year",
    limits=(1.2, 1.8),
    comp_type="Constant",
    comp_subtype="Normal",
)
def funding_per_percent_productivity():
    """
    Extra funding needed a year per 1% shortfall of productivity. Source: reference figures: about GBP 1.5bn a year.
    """
    return 1.5


@component.add(
    name="Deficit Control Sensitivity",
    units="Dmnl",
    limits=(0.0, 5.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def deficit_control_sensitivity():
    """
    How strongly trusts freeze posts and cut agency cover under financial pressure. Source: Assumption (agency-deficit spiral; reference figures: 46% of trusts in deficit in 2018).
    """
    return 2.0


@component.add(
    name="Financial Perception Time",
    units="Year",
    limits=(0.25, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def financial_perception_time():
    """
    Time for deficits to register as financial pressure. Source: Assumption.
    """
    return 0.5


@component.add(
    name="Establishment Adjustment Time",
    units="Year",
    limits=(0.5, 2.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def establishment_adjustment_time():
    """
    Time for post freezes and cuts to follow deficits and harvested gains (annual planning). Source: Assumption.
    """
    return 1.0


@component.add(
    name="Pay Restraint",
    units="1/Year",
    limits=(0.0, 0.03),
    comp_type="Constant",
    comp_subtype="Normal",
)
def pay_restraint():
    """
    Policy lever (0 = off in the baseline). Real-terms fall of NHS pay a year relative to the wider labour market (national lever, post-2008). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Pay Restraint Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def pay_restraint_start_year():
    """
    Year the lever Pay Restraint starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Tariff Pressure",
    units="1/Year",
    limits=(0.0, 0.04),
    comp_type="Constant",
    comp_subtype="Normal",
)
def tariff_pressure():
    """
    Policy lever (0 = off in the baseline). Efficiency requirement cutting real provider income a year (tariff deflator, national lever). Source: scenario input.
    """
    return 0.0


@component.add(
    name="Tariff Pressure Start Year",
    units="Year",
    limits=(2024.0, 2040.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def tariff_pressure_start_year():
    """
    Year the lever Tariff Pressure starts. Source: scenario input; the default is an assumption.
    """
    return 2026


@component.add(
    name="Pay Restraint Rate",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"pay_restraint": 1, "pay_restraint_start_year": 1, "time": 1},
)
def pay_restraint_rate():
    """
    Pay restraint in force.
    """
    return step(__data["time"], pay_restraint(), pay_restraint_start_year())


@component.add(
    name="Tariff Efficiency Requirement",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"tariff_pressure": 1, "tariff_pressure_start_year": 1, "time": 1},
)
def tariff_efficiency_requirement():
    """
    Tariff efficiency requirement in force.
    """
    return step(__data["time"], tariff_pressure(), tariff_pressure_start_year())


@component.add(
    name="Pay Erosion",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"relative_pay": 1, "pay_restraint_rate": 1},
)
def pay_erosion():
    """
    Fall of real pay.
    """
    return relative_pay() * pay_restraint_rate()


@component.add(
    name="Relative Pay",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_relative_pay": 1},
    other_deps={"_integ_relative_pay": {"initial": {}, "step": {"pay_erosion": 1}}},
)
def relative_pay():
    """
    Real NHS pay relative to 2024.
    """
    return _integ_relative_pay()


_integ_relative_pay = Integ(lambda: -pay_erosion(), lambda: 1.0, "_integ_relative_pay")


@component.add(
    name="Tariff Cut",
    units="1/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"tariff_factor": 1, "tariff_efficiency_requirement": 1},
)
def tariff_cut():
    """
    Fall of real provider income from tariff efficiency requirements.
    """
    return tariff_factor() * tariff_efficiency_requirement()


@component.add(
    name="Tariff Factor",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_tariff_factor": 1},
    other_deps={"_integ_tariff_factor": {"initial": {}, "step": {"tariff_cut": 1}}},
)
def tariff_factor():
    """
    Provider income relative to the funding path.
    """
    return _integ_tariff_factor()


_integ_tariff_factor = Integ(lambda: -tariff_cut(), lambda: 1.0, "_integ_tariff_factor")


@component.add(
    name="Real Earnings Growth",
    units="1/Year",
    limits=(0.0, 0.02),
    comp_type="Constant",
    comp_subtype="Normal",
)
def real_earnings_growth():
    """
    Real growth of earnings in the wider economy, which NHS pay follows unless restrained. Source: Assumption: between near zero after 2008 and about 1.5% before (recalled).
    """
    return 0.005


@component.add(
    name="Earnings Index",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"real_earnings_growth": 1, "time": 1, "initial_time": 1},
)
def earnings_index():
    """
    Real earnings in the wider economy relative to 2024.
    """
    return float(np.exp(real_earnings_growth() * (time() - initial_time())))


@component.add(
    name="Pay Bill",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurses": 1,
        "nurse_pay": 1,
        "doctors": 1,
        "doctor_pay": 1,
        "ahps": 1,
        "ahp_pay": 1,
        "support_staff": 1,
        "support_staff_pay": 1,
        "relative_pay": 1,
        "earnings_index": 1,
    },
)
def pay_bill():
    """
    Cost of substantive staff (GBP thousands per FTE converted to GBP billions).
    """
    return (
        (
            nurses() * nurse_pay()
            + doctors() * doctor_pay()
            + ahps() * ahp_pay()
            + support_staff() * support_staff_pay()
        )
        * relative_pay()
        * earnings_index()
        / 1000000.0
    )


@component.add(
    name="Agency Spend",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "nurse_agency_staff": 1,
        "nurse_pay": 1,
        "doctor_pay": 1,
        "doctor_agency_staff": 1,
        "ahp_agency_staff": 1,
        "ahp_pay": 1,
        "support_staff_agency_staff": 1,
        "support_staff_pay": 1,
        "agency_cost_premium": 1,
        "earnings_index": 1,
    },
)
def agency_spend():
    """
    Cost of agency staff at a premium (agency rates are not restrained).
    """
    return (
        (
            nurse_agency_staff() * nurse_pay()
            + doctor_agency_staff() * doctor_pay()
            + ahp_agency_staff() * ahp_pay()
            + support_staff_agency_staff() * support_staff_pay()
        )
        * agency_cost_premium()
        * earnings_index()
        / 1000000.0
    )


@component.add(
    name="Agency Share of Pay Bill",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"agency_spend": 2, "pay_bill": 1},
)
def agency_share_of_pay_bill():
    """
    Agency spending as a share of all staff spending (HFMA 2019: about 5%).
    """
    return zidz(agency_spend(), pay_bill() + agency_spend())


@component.add(
    name="Funding Index",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "real_funding_growth": 1,
        "time": 1,
        "initial_time": 1,
        "tariff_factor": 1,
    },
)
def funding_index():
    """
    Real provider funding relative to 2024, net of tariff efficiency requirements.
    """
    return (
        float(np.exp(real_funding_growth() * (time() - initial_time())))
        * tariff_factor()
    )


@component.add(
    name="Initial Staff Spend",
    units="GBPbn/Year",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={"_initial_initial_staff_spend": 1},
    other_deps={
        "_initial_initial_staff_spend": {
            "initial": {"pay_bill": 1, "agency_spend": 1},
            "step": {},
        }
    },
)
def initial_staff_spend():
    """
    Staff spending in 2024.
    """
    return _initial_initial_staff_spend()


_initial_initial_staff_spend = Initial(
    lambda: pay_bill() + agency_spend(), "_initial_initial_staff_spend"
)


@component.add(
    name="Core Non Pay Spend",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_staff_spend": 1,
        "labour_share_of_cost": 2,
        "funding_index": 1,
    },
)
def core_non_pay_spend():
    """
    Drugs, supplies, estates and equipment, growing with funding (labour 65% of cost in 2024).
    """
    return (
        initial_staff_spend()
        * (1 - labour_share_of_cost())
        / labour_share_of_cost()
        * funding_index()
    )


@component.add(
    name="Programme Spending",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_investment_spending": 1,
        "digital_spending": 1,
        "skill_mix_programme_level": 1,
        "skill_mix_programme_cost": 1,
        "activation_programme_level": 1,
        "activation_programme_cost": 1,
        "flow_programme_level": 1,
        "flow_programme_cost": 1,
    },
)
def programme_spending():
    """
    Centrally funded spending on the policy programmes.
    """
    return (
        improvement_investment_spending()
        + digital_spending()
        + skill_mix_programme_level() * skill_mix_programme_cost()
        + activation_programme_level() * activation_programme_cost()
        + flow_programme_level() * flow_programme_cost()
    )


@component.add(
    name="Non Pay Spend",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"core_non_pay_spend": 1, "programme_spending": 1},
)
def non_pay_spend():
    """
    All non-labour spending (an input to productivity).
    """
    return core_non_pay_spend() + programme_spending()


@component.add(
    name="Non Pay Capacity Index",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={"core_non_pay_spend": 1, "_initial_non_pay_capacity_index": 1},
    other_deps={
        "_initial_non_pay_capacity_index": {
            "initial": {"core_non_pay_spend": 1},
            "step": {},
        }
    },
)
def non_pay_capacity_index():
    """
    Non-labour inputs that produce care relative to 2024.
    """
    return zidz(core_non_pay_spend(), _initial_non_pay_capacity_index())


_initial_non_pay_capacity_index = Initial(
    lambda: core_non_pay_spend(), "_initial_non_pay_capacity_index"
)


@component.add(
    name="Expenditure",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"pay_bill": 1, "agency_spend": 1, "non_pay_spend": 1},
)
def expenditure():
    """
    Operating spending.
    """
    return pay_bill() + agency_spend() + non_pay_spend()


@component.add(
    name="Core Income",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "initial_staff_spend": 1,
        "labour_share_of_cost": 1,
        "funding_index": 1,
    },
)
def core_income():
    """
    Provider income, balanced with spending in 2024.
    """
    return (initial_staff_spend() / labour_share_of_cost()) * funding_index()


@component.add(
    name="Income",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"core_income": 1, "programme_spending": 1},
)
def income():
    """
    Provider income including centrally funded programmes.
    """
    return core_income() + programme_spending()


@component.add(
    name="Financial Balance",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"income": 1, "expenditure": 1},
)
def financial_balance():
    """
    Surplus (+) or deficit (-).
    """
    return income() - expenditure()


@component.add(
    name="Indicated Financial Pressure",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"financial_balance": 1, "income": 1},
)
def indicated_financial_pressure():
    """
    Deficit as a share of income.
    """
    return xidz(float(np.maximum(0, -financial_balance())), income(), 0)


@component.add(
    name="Financial Pressure",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_financial_pressure": 1},
    other_deps={
        "_integ_financial_pressure": {
            "initial": {},
            "step": {
                "indicated_financial_pressure": 1,
                "financial_pressure": 1,
                "financial_perception_time": 1,
            },
        }
    },
)
def financial_pressure():
    """
    Perceived deficit as a share of income.
    """
    return _integ_financial_pressure()


_integ_financial_pressure = Integ(
    lambda: (indicated_financial_pressure() - financial_pressure())
    / financial_perception_time(),
    lambda: 0.0,
    "_integ_financial_pressure",
)


@component.add(
    name="Share of Savings Reinvested",
    units="Dmnl",
    limits=(0.0, 1.0),
    comp_type="Constant",
    comp_subtype="Normal",
)
def share_of_savings_reinvested():
    """
    Share of the labour freed by improvement that stays in services rather than being harvested as cash (posts removed). Source: parameter anchors: 0.5 (0-1), ReThink Health model (Homer et al., Health Affairs 2016).
    """
    return 0.5


@component.add(
    name="Labour Freed by Improvement",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"improvement_gain": 2},
)
def labour_freed_by_improvement():
    """
    Share of staff time that improvement makes unnecessary for the same output.
    """
    return float(np.maximum(0, improvement_gain())) / (
        1 + float(np.maximum(0, improvement_gain()))
    )


@component.add(
    name="Harvested Share of Posts",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"share_of_savings_reinvested": 1, "labour_freed_by_improvement": 1},
)
def harvested_share_of_posts():
    """
    Share of posts removed to bank improvement gains as savings (reinvest vs harvest).
    """
    return (1 - share_of_savings_reinvested()) * labour_freed_by_improvement()


@component.add(
    name="Establishment Pressure",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "harvested_share_of_posts": 1,
        "deficit_control_sensitivity": 1,
        "financial_pressure": 1,
    },
)
def establishment_pressure():
    """
    Posts kept relative to the funded path: fewer when improvement gains are harvested as post cuts, frozen under deficits.
    """
    return (1 - harvested_share_of_posts()) * float(
        np.exp(-deficit_control_sensitivity() * financial_pressure())
    )


@component.add(
    name="Establishment Control",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Integ",
    depends_on={"_integ_establishment_control": 1},
    other_deps={
        "_integ_establishment_control": {
            "initial": {},
            "step": {
                "establishment_pressure": 1,
                "establishment_control": 1,
                "establishment_adjustment_time": 1,
            },
        }
    },
)
def establishment_control():
    """
    Establishment Pressure as acted on through annual planning (first-order smooth).
    """
    return _integ_establishment_control()


_integ_establishment_control = Integ(
    lambda: (establishment_pressure() - establishment_control())
    / establishment_adjustment_time(),
    lambda: 1.0,
    "_integ_establishment_control",
)


@component.add(
    name="Establishment Index",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "funding_index": 1,
        "earnings_index": 1,
        "relative_pay": 1,
        "establishment_control": 1,
    },
)
def establishment_index():
    """
    Funded posts relative to 2024: grow with funding, rise when pay is cheaper, fall when improvement gains are harvested or deficits freeze posts.
    """
    return (
        funding_index() / (relative_pay() * earnings_index()) * establishment_control()
    )


@component.add(
    name="Agency Cover Level",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "agency_cover_fraction": 1,
        "deficit_control_sensitivity": 1,
        "financial_pressure": 1,
    },
)
def agency_cover_level():
    """
    Share of vacancies covered by agency, cut under financial pressure.
    """
    return agency_cover_fraction() * float(
        np.exp(-deficit_control_sensitivity() * financial_pressure())
    )


@component.add(
    name="Improvement Gain",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "process_efficiency": 1,
        "skill_mix_max_gain": 1,
        "skill_mix_benefit": 1,
        "technology_max_gain": 1,
        "technology_benefit": 1,
    },
)
def improvement_gain():
    """
    Labour productivity gained from improvement approaches and process improvement.
    """
    return (
        process_efficiency()
        * (1 + skill_mix_max_gain() * skill_mix_benefit())
        * (1 + technology_max_gain() * technology_benefit())
        - 1
    )


@component.add(
    name="Labour Productivity Multiplier",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "improvement_gain": 1,
        "implementation_disruption": 1,
        "morale_productivity_effect": 1,
    },
)
def labour_productivity_multiplier():
    """
    Output per effective staff relative to 2024.
    """
    return (
        (1 + improvement_gain())
        * (1 - implementation_disruption())
        * morale_productivity_effect()
    )


@component.add(
    name="Nurse Staffing Ratio",
    units="FTE*Year/Patients",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"effective_nurses": 1, "total_output": 1},
)
def nurse_staffing_ratio():
    """
    Registered nurse time per unit of activity (as nurse hours per patient day).
    """
    return xidz(effective_nurses(), total_output(), 0)


@component.add(
    name="Nurse Staffing Quality Effect",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "nurse_staffing_ratio": 1,
        "_initial_nurse_staffing_quality_effect": 1,
        "staffing_quality_elasticity": 1,
    },
    other_deps={
        "_initial_nurse_staffing_quality_effect": {
            "initial": {"nurse_staffing_ratio": 1},
            "step": {},
        }
    },
)
def nurse_staffing_quality_effect():
    """
    Quality falls when registered nurse staffing per unit of activity falls.
    """
    return float(
        np.power(
            xidz(nurse_staffing_ratio(), _initial_nurse_staffing_quality_effect(), 0),
            staffing_quality_elasticity(),
        )
    )


_initial_nurse_staffing_quality_effect = Initial(
    lambda: nurse_staffing_ratio(), "_initial_nurse_staffing_quality_effect"
)


@component.add(
    name="Occupancy Quality Effect",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "occupancy_quality_sensitivity": 1,
        "bed_occupancy": 1,
        "mortality_occupancy_threshold": 1,
    },
)
def occupancy_quality_effect():
    """
    Quality falls when occupancy is very high (no further beyond 125%, as for flow).
    """
    return float(
        np.exp(
            -occupancy_quality_sensitivity()
            * float(
                np.maximum(
                    0,
                    float(np.minimum(bed_occupancy(), 1.25))
                    - mortality_occupancy_threshold(),
                )
            )
        )
    )


@component.add(
    name="Quality Index",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "quality_trend": 1,
        "time": 1,
        "initial_time": 1,
        "nurse_staffing_quality_effect": 1,
        "occupancy_quality_effect": 1,
    },
)
def quality_index():
    """
    Quality adjustment of output.
    """
    return (
        float(np.exp(quality_trend() * (time() - initial_time())))
        * nurse_staffing_quality_effect()
        * occupancy_quality_effect()
    )


@component.add(
    name="Quality Adjusted Output",
    units="Patients/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"total_output": 1, "quality_index": 1},
)
def quality_adjusted_output():
    """
    Quality-adjusted, cost-weighted output.
    """
    return total_output() * quality_index()


@component.add(
    name="Labour Input",
    units="FTE",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"total_staff": 1, "total_agency_staff": 1},
)
def labour_input():
    """
    Labour input volume.
    """
    return total_staff() + total_agency_staff()


@component.add(
    name="Input Index",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "labour_share_of_cost": 2,
        "labour_input": 1,
        "_initial_input_index": 1,
        "non_pay_spend": 1,
        "_initial_input_index_1": 1,
    },
    other_deps={
        "_initial_input_index": {"initial": {"labour_input": 1}, "step": {}},
        "_initial_input_index_1": {"initial": {"non_pay_spend": 1}, "step": {}},
    },
)
def input_index():
    """
    Cost-weighted input volume relative to 2024 (labour 65%).
    """
    return labour_share_of_cost() * zidz(labour_input(), _initial_input_index()) + (
        1 - labour_share_of_cost()
    ) * zidz(non_pay_spend(), _initial_input_index_1())


_initial_input_index = Initial(lambda: labour_input(), "_initial_input_index")

_initial_input_index_1 = Initial(lambda: non_pay_spend(), "_initial_input_index_1")


@component.add(
    name="Productivity Index",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "quality_adjusted_output": 1,
        "_initial_productivity_index": 1,
        "input_index": 1,
    },
    other_deps={
        "_initial_productivity_index": {
            "initial": {"quality_adjusted_output": 1},
            "step": {},
        }
    },
)
def productivity_index():
    """
    Quality-adjusted, cost-weighted output per unit of input, 1 in 2024.
    """
    return zidz(
        zidz(quality_adjusted_output(), _initial_productivity_index()), input_index()
    )


_initial_productivity_index = Initial(
    lambda: quality_adjusted_output(), "_initial_productivity_index"
)


@component.add(
    name="Unit Cost Index",
    units="Dmnl",
    comp_type="Stateful",
    comp_subtype="Initial",
    depends_on={
        "expenditure": 1,
        "quality_adjusted_output": 1,
        "_initial_unit_cost_index": 1,
    },
    other_deps={
        "_initial_unit_cost_index": {
            "initial": {"expenditure": 1, "quality_adjusted_output": 1},
            "step": {},
        }
    },
)
def unit_cost_index():
    """
    Spending per unit of quality-adjusted output, 1 in 2024.
    """
    return zidz(
        zidz(expenditure(), quality_adjusted_output()), _initial_unit_cost_index()
    )


_initial_unit_cost_index = Initial(
    lambda: zidz(expenditure(), quality_adjusted_output()), "_initial_unit_cost_index"
)


@component.add(
    name="Productivity Shortfall",
    units="Dmnl",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={"desired_output": 1, "total_output": 2},
)
def productivity_shortfall():
    """
    Extra productivity needed to deliver the desired activity with the inputs in place.
    """
    return float(
        np.minimum(1, xidz(desired_output() - total_output(), total_output(), 1))
    )


@component.add(
    name="Funding Gap",
    units="GBPbn/Year",
    comp_type="Auxiliary",
    comp_subtype="Normal",
    depends_on={
        "funding_per_percent_productivity": 1,
        "productivity_shortfall": 1,
        "financial_balance": 1,
    },
)
def funding_gap():
    """
    Funding needed a year to hold access and quality: GBP 1.5bn per 1% productivity shortfall (the 100 converts a fraction to percent) plus any provider deficit.
    """
    return funding_per_percent_productivity() * 100 * productivity_shortfall() + float(
        np.maximum(0, -financial_balance())
    )
