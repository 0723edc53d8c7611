# ruff: noqa: E501  (data table: one record per line)
"""Report vocabulary: the words ECG reports and machine statements use for a concept.

Kept apart from the criteria (``features.py``): a line ``CONCEPT KEY | term | source key``
says that the source names the concept with that term. Derived from the public tables by
``python -m knowledge.kbbuild.report_data`` (PTB-XL statement descriptions S02, Challenge 2021
diagnosis names S01, Chapman-Shaoxing condition names S03; see that module for the filters).
The build writes ``knowledge/report_terms.tsv`` and adds each term to its concept's synonyms
in the terminology extract, so a report term grounds like any other name of the concept.
"""

REPORT_TERM_TABLE = r"""
NDT | non-diagnostic T abnormalities | S02
NST | non-specific ST changes | S02
DIG | digitalis-effect | S02
DIG | suggests digitalis-effect | S02
LQT | long QT-interval | S02
NORM | normal ECG | S02
IMI | inferior myocardial infarction | S02
ASMI | anteroseptal myocardial infarction | S02
LVH | left ventricular hypertrophy | S02
LAFB | left anterior fascicular block | S02
ISCNS | non-specific ischemic | S02
IRBBB | incomplete right bundle branch block | S02
AVB1 | first degree AV block | S02
NSIVCB | non-specific intraventricular conduction disturbance | S02
ISCAL | ischemic in anterolateral leads | S02
CRBBB | complete right bundle branch block | S02
CLBBB | complete left bundle branch block | S02
ILMI | inferolateral myocardial infarction | S02
LAE | left atrial overload/enlargement | S02
AMI | anterior myocardial infarction | S02
ALMI | anterolateral myocardial infarction | S02
ISCIN | ischemic in inferior leads | S02
INJAS | subendocardial injury in anteroseptal leads | S02
LMI | lateral myocardial infarction | S02
ISCIL | ischemic in inferolateral leads | S02
LPFB | left posterior fascicular block | S02
ISCAS | ischemic in anteroseptal leads | S02
INJAL | subendocardial injury in anterolateral leads | S02
ISCLA | ischemic in lateral leads | S02
RVH | right ventricular hypertrophy | S02
ANEUR | ST-T changes compatible with ventricular aneurysm | S02
EL | compatible with electrolyte abnormalities | S02
WPW | Wolf-Parkinson-White syndrome | S02
WPW | Wolff-Parkinson-White syndrome | S02
ILBBB | incomplete left bundle branch block | S02
IPLMI | inferoposterolateral myocardial infarction | S02
ISCAN | ischemic in anterior leads | S02
IPMI | inferoposterior myocardial infarction | S02
SEHYP | septal hypertrophy | S02
INJIN | subendocardial injury in inferior leads | S02
INJLA | subendocardial injury in lateral leads | S02
PMI | posterior myocardial infarction | S02
AVB3 | third degree AV block | S02
INJIL | subendocardial injury in inferolateral leads | S02
AVB2 | second degree AV block | S02
ABQRS | abnormal QRS | S02
PVC | ventricular premature complex | S02
LOWT | low amplitude T-waves | S02
NT | non-specific T-wave changes | S02
PAC | atrial premature complex | S02
LPR | prolonged PR interval | S02
TINV | inverted T-waves | S02
LQRSV | low QRS voltages in the frontal and horizontal leads | S02
HVOLT | high QRS voltage | S02
TAB | T-wave abnormality | S02
SR | sinus rhythm | S02
AFIB | atrial fibrillation | S02
STACH | sinus tachycardia | S02
SARR | sinus arrhythmia | S02
SB | sinus bradycardia | S02
SVARR | supraventricular arrhythmia | S02
AFL | atrial flutter | S02
SVT | supraventricular tachycardia | S02
PSVT | paroxysmal supraventricular tachycardia | S02
BBB | bundle branch block | S01
BRADY | bradycardia | S01
AVB1 | 1st degree av block | S01
LAD | left axis deviation | S01
LBBB | left bundle branch block | S01
LQRSV | low qrs voltages | S01
NSIVCB | nonspecific intraventricular conduction disorder | S01
PAC | premature atrial contraction | S01
PACED | pacing rhythm | S01
PRWP | poor R wave Progression | S01
PVC | premature ventricular contractions | S01
LQT | prolonged qt interval | S01
QAB | qwave abnormal | S01
RAD | right axis deviation | S01
RBBB | right bundle branch block | S01
SVPB | supraventricular premature beats | S01
TAB | t wave abnormal | S01
TINV | t wave inversion | S01
VPB | ventricular premature beats | S01
AAR | accelerated atrial escape rhythm | S01
AED | atrial escape beat | S01
AIVR | accelerated idioventricular rhythm | S01
AJR | accelerated junctional rhythm | S01
ALR | suspect arm ecg leads reversed | S01
ACUTEMI | acute myocardial infarction | S01
AMIS | acute myocardial ischemia | S01
ISCAN | anterior ischemia | S01
ABIG | atrial bigeminy | S01
AFAFL | atrial fibrillation and flutter | S01
AH | atrial hypertrophy | S01
APACE | atrial pacing pattern | S01
ARH | atrial rhythm | S01
ATACH | atrial tachycardia | S01
AVB | av block | S01
AVD | atrioventricular dissociation | S01
AVJR | atrioventricular junctional rhythm | S01
AVNRT | atrioventricular node reentrant tachycardia | S01
AVRT | atrioventricular reentrant tachycardia | S01
BPAC | blocked premature atrial contraction | S01
BRU | brugada | S01
BTS | brady tachy syndrome | S01
CAF | chronic atrial fibrillation | S01
CCR | countercolockwise rotation | S01
CVCL | clockwise or counterclockwise vectorcardiographic loop | S01
ARR | cardiac dysrhythmia | S01
AVB3 | complete heart block | S01
CIAHB | congenital incomplete atrioventricular heart block | S01
CHD | coronary heart disease | S01
CMI | chronic myocardial ischemia | S01
CR | clockwise rotation | S01
DIB | diffuse intraventricular block | S01
ERE | early repolarization | S01
FUSION | fusion beats | S01
FQRS | fqrs wave | S01
HF | heart failure | S01
HVD | heart valve disorder | S01
HTV | high t-voltage | S01
ICA | indeterminate cardiac axis | S01
AVB2 | 2nd degree av block | S01
MOBITZ2 | mobitz type II atrioventricular block | S01
ISCIN | inferior ischaemia | S01
ISTD | inferior ST segment depression | S01
IVR | idioventricular rhythm | S01
JE | junctional escape | S01
JPC | junctional premature complex | S01
JTACH | junctional tachycardia | S01
LAA | left atrial abnormality | S01
LAE | left atrial enlargement | S01
LAH | left atrial hypertrophy | S01
ISCLA | lateral ischaemia | S01
LVHV | left ventricular high voltage | S01
LVS | left ventricular strain | S01
MI | myocardial infarction | S01
MIS | myocardial ischemia | S01
MOBITZ1 | mobitz type i wenckebach atrioventricular block | S01
NSSTTA | nonspecific st t abnormality | S01
OLDMI | old myocardial infarction | S01
PAF | paroxysmal atrial fibrillation | S01
PPW | prolonged P wave | S01
PVT | paroxysmal ventricular tachycardia | S01
PWC | p wave change | S01
RAAB | right atrial abnormality | S01
RAB | r wave abnormal | S01
RAH | right atrial hypertrophy | S01
RAHV | right atrial high voltage | S01
RAF | rapid atrial fibrillation | S01
SAAWR | sinus atrium to atrial wandering rhythm | S01
SAB | sinoatrial block | S01
SARREST | sinus arrest | S01
SND | sinus node dysfunction | S01
SPRI | shortened pr interval | S01
SQT | decreased qt interval | S01
STT | s t changes | S01
STD | st depression | S01
STE | st elevation | S01
STSEG | st interval abnormal | S01
SVB | supraventricular bigeminy | S01
TIA | transient ischemic attack | S01
TPW | tall p wave | S01
UAB | u wave abnormal | S01
VBIG | ventricular bigeminy | S01
VEB | ventricular ectopics | S01
VESB | ventricular escape beat | S01
VESR | ventricular escape rhythm | S01
VF | ventricular fibrillation | S01
VFL | ventricular flutter | S01
VH | ventricular hypertrophy | S01
VPEX | ventricular pre excitation | S01
VPACE | ventricular pacing pattern | S01
VPVC | paired ventricular premature complexes | S01
VT | ventricular tachycardia | S01
VTRIG | ventricular trigeminy | S01
WAP | wandering atrial pacemaker | S01
WPW | wolff parkinson white pattern | S01
AVB1 | 1 degree atrioventricular block | S03
AVB2 | 2 degree atrioventricular block | S03
AVB3 | 3 degree atrioventricular block | S03
LAD | Axis left shift | S03
PAC | atrial premature beats | S03
QAB | abnormal Q wave | S03
RAD | Axis right shift | S03
AVB | atrioventricular block | S03
ERE | Early repolarization of the ventricles | S03
JE | junctional escape beat | S03
JPC | junctional premature beat | S03
LVH | left ventricle hypertrophy | S03
LQRSV | lower voltage QRS in all lead | S03
LQRSV_CH | lower voltage QRS in chest lead | S03
LQRSV_LI | lower voltage QRS in limb lead | S03
LPR | PR interval extension | S03
LQT | QT interval extension | S03
RVH | right ventricle hypertrophy | S03
STD | ST drop down | S03
STSEG | ST extension | S03
STE | ST tilt up | S03
TAB | T wave Change | S03
TINV | T wave opposite | S03
UAB | U wave | S03
FUSION | ventricular fusion wave | S03
VPB | ventricular premature beat | S03
VPEX | ventricular preexcitation | S03
SARR | Sinus Irregularity | S03
"""
