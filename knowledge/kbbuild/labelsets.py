# ruff: noqa: E501  (data tables: one record per line reads better than wrapped records)
"""Label sets: dataset label -> concept keys, display name, mapping kind and note.

Line format: ``task | label | concept keys (space-separated) | name | mapping | note``. A key
written ``-KEY`` is a descendant of the label's concepts that the dataset does not file under
the label: it and its descendants are neither subtypes of the class nor a way to reach a
feature (column ``excluded_ids``).
PTB-XL tasks follow the column order of the MERL split test files; ``all`` lists the 71 SCP
statements in the order of ``scp_statements.csv``. mapping: exact | closest | group.
"""

PTBXL = r"""
super | HYP | HYPG | hypertrophy | group | PTB-XL superclass: LVH, RVH, SEHYP, LAO/LAE, RAO/RAE
super | NORM | NORM | normal ECG | exact |
super | MI | MI INJ | myocardial infarction | group | PTB-XL superclass MI: IMI, ASMI, ILMI, AMI, ALMI, LMI, IPLMI, IPMI, PMI (infarction) and INJAS, INJAL, INJLA, INJIN, INJIL (subendocardial injury), as PTB-XL files them
super | CD | COND -SAB | conduction disturbance | group | PTB-XL superclass: AV blocks, bundle branch and fascicular blocks, IVCD, WPW; no single concept of its own; not sinoatrial block (no PTB-XL statement; a pause in the sinus rhythm, not AV or intraventricular conduction)
super | STTC | STT LQT ISCSTT -ERE | ST/T change | group | PTB-XL superclass STTC: NDT, NST_, DIG, EL, ANEUR (ST-T change), LNGQT (prolonged QT) and the ischaemic statements ISC_, ISCAN, ISCAS, ISCAL, ISCLA, ISCIN, ISCIL (ischaemic ST-T change); not the INJxx statements, which PTB-XL files under MI; not early repolarisation (a normal variant, no PTB-XL statement; excluded below ST-T change)
sub | AMI | AMI INJAS INJAL INJLA | anterior myocardial infarction | group | PTB-XL subclass AMI: AMI, ASMI, ALMI and subendocardial injury in anteroseptal, anterolateral and lateral leads
sub | LAFB/LPFB | FASC | left anterior or posterior fascicular block | group | PTB-XL subclass LAFB/LPFB: the left fascicular block concept, whose subtypes are exactly LAFB and LPFB (their axis criteria are alternatives, so the label states the concept's own either-or criterion)
sub | LVH | LVH | left ventricular hypertrophy | exact |
sub | STTC | NDT DIG LQT ANEUR EL | non-ischaemic ST/T change | group | PTB-XL subclass STTC (displayed as non-ischaemic ST/T change: "ST/T change" names the broader ST-T change concept): exactly NDT, DIG, LNGQT, ANEUR, EL, listed one by one (NST_ is the label NST, the ischaemic statements are ISC, ISCA, ISCI)
sub | IMI | IMI INJIN INJIL | inferior myocardial infarction | group | PTB-XL subclass IMI: IMI, ILMI, IPMI, IPLMI and subendocardial injury in inferior and inferolateral leads
sub | SEHYP | SEHYP | septal hypertrophy | exact |
sub | CRBBB | CRBBB | complete right bundle branch block | exact |
sub | WPW | WPW | Wolff-Parkinson-White syndrome | exact |
sub | LAO/LAE | LAE | left atrial overload/enlargement | exact |
sub | NORM | NORM | normal ECG | exact |
sub | ISC | ISCNS | non-specific ischemic | exact | PTB-XL ISC_: ischaemic ST-T change without regional localisation (the regional statements are ISCA and ISCI, the injury statements belong to AMI and IMI)
sub | AVB | AVB | AV block | group | PTB-XL subclass _AVB: first, second and third degree AV block
sub | RAO/RAE | RAAB | right atrial overload/enlargement | closest | right atrial abnormality covers overload and enlargement
sub | LMI | LMI | lateral myocardial infarction | exact |
sub | ISCI | ISCIN ISCIL | ischemic in inferior leads | group | PTB-XL subclass ISCI: ISCIN and ISCIL
sub | ISCA | ISCAN ISCAS ISCAL ISCLA | ischemic in anterior leads | group | PTB-XL subclass ISCA: ISCAN, ISCAS, ISCAL, ISCLA
sub | NST | NST | non-specific ST changes | exact | PTB-XL NST_
sub | CLBBB | CLBBB | complete left bundle branch block | exact |
sub | ILBBB | ILBBB | incomplete left bundle branch block | exact |
sub | IRBBB | IRBBB | incomplete right bundle branch block | exact |
sub | PMI | PMI | posterior myocardial infarction | exact |
sub | RVH | RVH | right ventricular hypertrophy | exact |
sub | IVCD | NSIVCB | non-specific intraventricular conduction disturbance | exact | the challenge code for nonspecific intraventricular conduction disorder
form | PAC | PAC | atrial premature complex | exact |
form | DIG | DIG | digitalis effect | exact |
form | HVOLT | HVOLT | high QRS voltage | exact |
form | STD | STD | non-specific ST depression | closest | PTB-XL STD_ -> ST segment depression
form | LPR | LPR | prolonged PR interval | exact |
form | QWAVE | QAB | Q waves present | closest | abnormal Q wave
form | VCLVH | LVHV | voltage criteria (QRS) for left ventricular hypertrophy | exact | left ventricular high voltage
form | NDT | NDT | non-diagnostic T abnormalities | exact |
form | TAB | TAB | T-wave abnormality | exact | PTB-XL TAB_
form | LOWT | LOWT | low amplitude T-waves | exact |
form | ABQRS | ABQRS | abnormal QRS | exact |
form | LNGQT | LQT | long QT-interval | exact |
form | PRC(S) | PRC | premature complex(es) | exact |
form | NT | NT | non-specific T-wave changes | exact | PTB-XL NT_
form | STE | STE | non-specific ST elevation | closest | PTB-XL STE_ -> ST segment elevation
form | NST | NST | non-specific ST changes | exact | PTB-XL NST_
form | PVC | PVC | ventricular premature complex | exact |
form | INVT | TINV | inverted T-waves | exact |
form | LVOLT | LQRSV | low QRS voltages in the frontal and horizontal leads | exact |
rhythm | SVARR | SVARR | supraventricular arrhythmia | exact |
rhythm | BIGU | BIGU | bigeminal pattern | exact | unknown origin, supraventricular or ventricular
rhythm | STACH | STACH | sinus tachycardia | exact |
rhythm | SARRH | SARR | sinus arrhythmia | exact |
rhythm | SBRAD | SB | sinus bradycardia | exact |
rhythm | TRIGU | TRIGU | trigeminal pattern | exact | unknown origin, supraventricular or ventricular
rhythm | AFIB | AFIB | atrial fibrillation | exact |
rhythm | SR | SR | sinus rhythm | exact |
rhythm | SVTAC | SVT | supraventricular tachycardia | exact |
rhythm | PSVT | PSVT | paroxysmal supraventricular tachycardia | exact |
rhythm | AFLT | AFL | atrial flutter | exact |
rhythm | PACE | PACED | normal functioning artificial pacemaker | closest | pacing rhythm; pacemaker function is not a concept of its own
"""

# The 71 SCP statements (scp_statements.csv order): label | concept keys | name | mapping | note
PTBXL_ALL = r"""
NDT | NDT | non-diagnostic T abnormalities | exact |
NST_ | NST | non-specific ST changes | exact |
DIG | DIG | digitalis-effect | exact |
LNGQT | LQT | long QT-interval | exact |
NORM | NORM | normal ECG | exact |
IMI | IMI | inferior myocardial infarction | exact |
ASMI | ASMI | anteroseptal myocardial infarction | exact |
LVH | LVH | left ventricular hypertrophy | exact |
LAFB | LAFB | left anterior fascicular block | exact |
ISC_ | ISCNS | non-specific ischemic | exact | ischaemic ST-T change without regional localisation
IRBBB | IRBBB | incomplete right bundle branch block | exact |
1AVB | AVB1 | first degree AV block | exact |
IVCD | NSIVCB | non-specific intraventricular conduction disturbance (block) | exact |
ISCAL | ISCAL | ischemic in anterolateral leads | exact |
CRBBB | CRBBB | complete right bundle branch block | exact |
CLBBB | CLBBB | complete left bundle branch block | exact |
ILMI | ILMI | inferolateral myocardial infarction | exact |
LAO/LAE | LAE | left atrial overload/enlargement | exact |
AMI | AMI | anterior myocardial infarction | exact | PTB-XL AMI = anterior (not acute) myocardial infarction
ALMI | ALMI | anterolateral myocardial infarction | exact |
ISCIN | ISCIN | ischemic in inferior leads | exact |
INJAS | INJAS | subendocardial injury in anteroseptal leads | exact |
LMI | LMI | lateral myocardial infarction | exact |
ISCIL | ISCIL | ischemic in inferolateral leads | exact |
LPFB | LPFB | left posterior fascicular block | exact |
ISCAS | ISCAS | ischemic in anteroseptal leads | exact |
INJAL | INJAL | subendocardial injury in anterolateral leads | exact |
ISCLA | ISCLA | ischemic in lateral leads | exact |
RVH | RVH | right ventricular hypertrophy | exact |
ANEUR | ANEUR | ST-T changes compatible with ventricular aneurysm | exact |
RAO/RAE | RAAB | right atrial overload/enlargement | closest | right atrial abnormality covers overload and enlargement
EL | EL | electrolytic disturbance or drug (former EDIS) | exact |
WPW | WPW | Wolf-Parkinson-White syndrome | exact |
ILBBB | ILBBB | incomplete left bundle branch block | exact |
IPLMI | IPLMI | inferoposterolateral myocardial infarction | exact |
ISCAN | ISCAN | ischemic in anterior leads | exact |
IPMI | IPMI | inferoposterior myocardial infarction | exact |
SEHYP | SEHYP | septal hypertrophy | exact |
INJIN | INJIN | subendocardial injury in inferior leads | exact |
INJLA | INJLA | subendocardial injury in lateral leads | exact |
PMI | PMI | posterior myocardial infarction | exact |
3AVB | AVB3 | third degree AV block | exact |
INJIL | INJIL | subendocardial injury in inferolateral leads | exact |
2AVB | AVB2 | second degree AV block | exact |
ABQRS | ABQRS | abnormal QRS | exact |
PVC | PVC | ventricular premature complex | exact |
STD_ | STD | non-specific ST depression | closest | non-specific ST depression -> ST segment depression
VCLVH | LVHV | voltage criteria (QRS) for left ventricular hypertrophy | exact |
QWAVE | QAB | Q waves present | closest | Q waves present -> abnormal Q wave
LOWT | LOWT | low amplitude T-waves | exact |
NT_ | NT | non-specific T-wave changes | exact |
PAC | PAC | atrial premature complex | exact |
LPR | LPR | prolonged PR interval | exact |
INVT | TINV | inverted T-waves | exact |
LVOLT | LQRSV | low QRS voltages in the frontal and horizontal leads | exact |
HVOLT | HVOLT | high QRS voltage | exact |
TAB_ | TAB | T-wave abnormality | exact |
STE_ | STE | non-specific ST elevation | closest | non-specific ST elevation -> ST segment elevation
PRC(S) | PRC | premature complex(es) | exact |
SR | SR | sinus rhythm | exact |
AFIB | AFIB | atrial fibrillation | exact |
STACH | STACH | sinus tachycardia | exact |
SARRH | SARR | sinus arrhythmia | exact |
SBRAD | SB | sinus bradycardia | exact |
PACE | PACED | normal functioning artificial pacemaker | closest | normal functioning artificial pacemaker -> pacing rhythm
SVARR | SVARR | supraventricular arrhythmia | exact |
BIGU | BIGU | bigeminal pattern (unknown origin, SV or Ventricular) | exact |
AFLT | AFL | atrial flutter | exact |
SVTAC | SVT | supraventricular tachycardia | exact |
PSVT | PSVT | paroxysmal supraventricular tachycardia | exact |
TRIGU | TRIGU | trigeminal pattern (unknown origin, SV or Ventricular) | exact |
"""

CPSC2018 = r"""
default | AFIB | AFIB | atrial fibrillation | exact | CPSC2018 AF
default | VPC | PVC | premature ventricular contraction | exact | CPSC2018 PVC; the Challenge 2021 tables code these records as 164884008 (ventricular ectopics), a parent
default | NORM | NORM | normal ECG | exact | CPSC2018 Normal; the Challenge 2021 tables code it as 426783006 (sinus rhythm)
default | 1AVB | AVB1 | first degree AV block | exact | CPSC2018 I-AVB
default | CRBBB | RBBB | right bundle branch block | closest | CPSC2018 label is RBBB (Challenge code 59118001, complete and incomplete); MERL names the column CRBBB
default | STE | STE | ST-segment elevation | exact | CPSC2018 STE
default | PAC | PAC | premature atrial contraction | exact | CPSC2018 PAC
default | CLBBB | LBBB | left bundle branch block | closest | CPSC2018 label is LBBB (Challenge code 164909002); MERL names the column CLBBB
default | STD | STD | ST-segment depression | exact | CPSC2018 STD
"""

CSN = r"""
default | AQW | QAB | abnormal Q wave | exact | CSN code 164917005; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | UW | UAB | U wave | exact | CSN code 164937009 (U wave abnormal); label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | SR | SR | sinus rhythm | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | WPW | WPW | Wolff-Parkinson-White pattern | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | 2AVB | AVB2 | second degree atrioventricular block | exact | label mode: both; the published column also fires on 2AVB1 and 2AVB2 (Mobitz I and II), which are subtypes of this concept
default | AT | ATACH | atrial tachycardia | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | VB | VBIG | ventricular bigeminy | exact | CSN VB = ventricular bigeminy (not ventricular block); label mode: rebuilt; the published column also fires on every AV block code (1AVB, 2AVB, 2AVB1, 2AVB2, 3AVB, AVB) and IVB by substring, which this mapping does not describe
default | ARS | RAD | right axis deviation | exact | CSN "axis right shift"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | STTC | NSSTTA | ST-T change (nonspecific ST-T abnormality) | exact | CSN code 428750005 (nonspecific ST-T abnormality); the bare name "ST-T change" would name the broader ST-T change concept; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | SA | SARR | sinus arrhythmia | exact | CSN "sinus irregularity"; SA is not a global synonym (sinoatrial); label mode: rebuilt; the published column also fires on LVQRSAL and SAAWR by substring, which this mapping does not describe
default | STE | STSEG -NST | ST segment abnormality (ST extension) | exact | CSN "ST extension" carries code 164930006 (ST interval abnormal), not ST elevation (that is STTU); excludes non-specific ST segment change (CSN files non-specific ST-T change under STTC); label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | VPB | VPB | ventricular premature beat | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | TWO | TINV | T wave inversion | exact | CSN "T wave opposite"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | STTU | STE | ST segment elevation | exact | CSN "ST tilt up", code 164931005; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | ALS | LAD | left axis deviation | exact | CSN "axis left shift"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | APB | PAC | atrial premature beat | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | 2AVB1 | MOBITZ1 | Mobitz type I second degree AV block (Wenckebach) | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | PRIE | LPR | prolonged PR interval | exact | CSN "PR interval extension"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | CCR | CCR | counterclockwise rotation | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | CR | CR | clockwise rotation | exact | label mode: rebuilt; the published column also fires on CCR (counterclockwise rotation, the opposite finding) by substring
default | AF | AFL | atrial flutter | exact | in CSN, AF = atrial FLUTTER (code 164890007); AF is not a global synonym; label mode: rebuilt; the published column also fires on AFIB by substring (flutter or fibrillation)
default | AVB | AVB | atrioventricular block | exact | label mode: both; the published column also fires on 1AVB, 2AVB, 2AVB1, 2AVB2, 3AVB, all subtypes of this concept
default | QTIE | LQT | prolonged QT interval | exact | CSN "QT interval extension"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | LBBB | LBBB | left bundle branch block | exact | label mode: both; the published column also fires on LBBBB, which carries the same code
default | VEB | VESB | ventricular escape beat | exact | CSN VEB = ventricular ESCAPE beat (code 75532003); in the Challenge tables VEB means ventricular ectopics; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | SVT | SVT | supraventricular tachycardia | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | RBBB | RBBB | right bundle branch block | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | 1AVB | AVB1 | first degree atrioventricular block | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | STDD | STD | ST segment depression | exact | CSN "ST drop down"; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | MI | MI | myocardial infarction | exact | label mode: both; the published column also fires on MIBW, MIFW, MILW, MISW, infarct sites with the same code
default | AFIB | AFIB | atrial fibrillation | exact | code 164889003; label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | TWC | TAB | T wave change | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | PWC | PWC | P wave change | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | ERV | ERE | early repolarization of the ventricles | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | RVH | RVH | right ventricular hypertrophy | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | LVH | LVH | left ventricular hypertrophy | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
default | ST | STACH | sinus tachycardia | exact | in CSN, ST = sinus tachycardia (code 427084000); ST is not a global synonym; label mode: rebuilt; the published column also fires on STDD, STE, STTC, STTU by substring, which this mapping does not describe
default | JEB | JE | junctional escape beat | exact | label mode: both (no other CSN acronym contains this one, so the published and rebuilt columns agree)
"""

SYNTHETIC = r"""
default | SR | SR | sinus rhythm | exact | normal sinus rhythm of the synthetic demo ECGs
default | SBRAD | SB | sinus bradycardia | exact |
default | STACH | STACH | sinus tachycardia | exact |
default | AFIB | AFIB | atrial fibrillation | exact |
"""
