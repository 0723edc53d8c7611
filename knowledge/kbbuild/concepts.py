# ruff: noqa: E501  (data tables: one record per line reads better than wrapped records)
"""Concepts of the ECG terminology extract: one line per concept.

Line format (``|``-separated): ``KEY | SCTID | fully specified name (semantic tag) | PARENT KEYS
| synonyms (;-separated)``. ``SCTID`` is a SNOMED CT concept id only where a public source
gives it (S01 challenge tables, S03 CSN table); ``-`` means an extension id is allocated.
``!`` before the key marks an inactive concept (a duplicate code kept so that it resolves).
Parents are keys separated by spaces (is-a). Combined sites (ISCAL, ISCIL, ALMI, ILMI, IPMI, IPLMI) are
filed under one parent as PTB-XL files them (S02), so that a label's subtypes never include a
region that belongs to another label of the same task. Abbreviations that mean different things in
different datasets (AF, ST, PR, CD, STE, AMI, VEB, SA, ...) are deliberately NOT synonyms: the
label sets map them (see ../terminology/README.md).
"""

CONCEPT_TABLE = r"""
ROOT | - | ECG terminology extract (metadata) | | ECG extract root
MODULE | - | ECG terminology extract module (core metadata concept) | ROOT | ECGX module
ECGF | - | Electrocardiographic finding (finding) | ROOT | ECG finding; EKG finding
DIS | - | Disorder of heart (disorder) | ROOT | heart disease; cardiac disorder
NONCARD | - | Clinical finding not specific to the electrocardiogram (finding) | ROOT | non-ECG clinical finding

# ---- groups of ECG findings (features live under these)
RHYF | - | Cardiac rhythm finding (finding) | ECGF | rhythm finding
RATEF | - | Heart rate finding (finding) | ECGF | rate finding
PWF | - | P wave finding (finding) | ECGF | atrial activity finding
PRF | - | PR interval finding (finding) | ECGF | PQ interval finding
QRSF | - | QRS complex finding (finding) | ECGF | QRS finding
AXF | - | Frontal plane QRS axis finding (finding) | QRSF | electrical axis finding
QTF | - | QT interval finding (finding) | ECGF | QT finding
STT | 55930002 | ST-T change (finding) | ECGF | s t changes; ST changes; ST-T changes; ST/T change; STC
TECH | - | Technical electrocardiogram finding (finding) | ECGF | technical ECG problem
NORM | - | Normal electrocardiogram (finding) | ECGF | normal ECG; normal EKG; NORM; normal 12-lead ECG

# ---- rhythm and rate
SNR | - | Sinus node rhythm (finding) | RHYF | rhythm originating in the sinus node
SR | 426783006 | Sinus rhythm (finding) | SNR | sinus rhythm; normal sinus rhythm; NSR; SR
ARR | 698247007 | Cardiac arrhythmia (disorder) | DIS RHYF | cardiac dysrhythmia; arrhythmia; dysrhythmia
BRADY | 426627000 | Bradycardia (finding) | ARR RATEF | bradycardia; Brady; slow heart rate
TACHY | - | Tachyarrhythmia (disorder) | ARR RATEF | tachycardia; fast heart rate
SB | 426177001 | Sinus bradycardia (finding) | SNR BRADY | sinus bradycardia; SB; SBRAD
STACH | 427084000 | Sinus tachycardia (finding) | SNR TACHY | sinus tachycardia; STach; STACH
SARR | 427393009 | Sinus arrhythmia (finding) | SNR ARR | sinus arrhythmia; sinus irregularity; SARRH; respiratory sinus arrhythmia
SND | 60423000 | Sinus node dysfunction (disorder) | ARR | sinus node dysfunction; sick sinus syndrome; SND
SARREST | 5609005 | Sinus arrest (disorder) | SND | sinus arrest; sinus pause; SARR
BTS | 74615001 | Bradycardia-tachycardia syndrome (disorder) | SND | brady tachy syndrome; tachy-brady syndrome; BTS
SVARR | - | Supraventricular arrhythmia (disorder) | ARR | supraventricular arrhythmia; SVARR
SVTA | - | Supraventricular tachyarrhythmia (disorder) | SVARR TACHY | supraventricular tachyarrhythmia
AFIB | 164889003 | Atrial fibrillation (disorder) | SVTA | atrial fibrillation; AFIB; AFib; A-fib; auricular fibrillation
PAF | 282825002 | Paroxysmal atrial fibrillation (disorder) | AFIB | paroxysmal atrial fibrillation; PAF
CAF | 426749004 | Chronic atrial fibrillation (disorder) | AFIB | chronic atrial fibrillation; permanent atrial fibrillation; CAF
RAF | 314208002 | Atrial fibrillation with rapid ventricular response (disorder) | AFIB | rapid atrial fibrillation; RAF; fast atrial fibrillation
AFL | 164890007 | Atrial flutter (disorder) | SVTA | atrial flutter; AFL; AFLT; auricular flutter
AFAFL | 195080001 | Atrial fibrillation and flutter (disorder) | SVTA | atrial fibrillation and flutter; AFAFL; atrial fibrillation-flutter
SVT | 426761007 | Supraventricular tachycardia (disorder) | SVTA | supraventricular tachycardia; SVT; SVTAC
PSVT | 67198005 | Paroxysmal supraventricular tachycardia (disorder) | SVT | paroxysmal supraventricular tachycardia; PSVT
ATACH | 713422000 | Atrial tachycardia (disorder) | SVT | atrial tachycardia; ATach; ectopic atrial tachycardia
AVNRT | 251166008 | Atrioventricular nodal reentrant tachycardia (disorder) | SVT | atrioventricular  node reentrant tachycardia; atrioventricular node reentrant tachycardia; AV nodal reentrant tachycardia; AVNRT
!AVNRT_CSN | 233896004 | Atrioventricular nodal reentrant tachycardia, Chapman-Shaoxing code (disorder) | |
AVRT | 233897008 | Atrioventricular reentrant tachycardia (disorder) | SVT | atrioventricular reentrant tachycardia; AVRT; accessory pathway reentrant tachycardia
JTACH | 426648003 | Junctional tachycardia (disorder) | SVT | junctional tachycardia; JTach; junctional ectopic tachycardia
ARH | 106068003 | Ectopic atrial rhythm (finding) | SVARR | atrial rhythm; ARH; low atrial rhythm
AAR | 233892002 | Accelerated atrial escape rhythm (finding) | ARH ESC | accelerated atrial escape rhythm; AAR
WAP | 195101003 | Wandering atrial pacemaker (finding) | SVARR | wandering atrial pacemaker; WAP; wandering pacemaker
SAAWR | 17366009 | Sinus to atrial wandering rhythm (finding) | WAP | sinus atrium to atrial wandering rhythm; SAAWR
AVJR | 29320008 | Atrioventricular junctional rhythm (finding) | SVARR | atrioventricular junctional rhythm; junctional rhythm; nodal rhythm; AVJR
AJR | 426664006 | Accelerated junctional rhythm (finding) | AVJR | accelerated junctional rhythm; AJR
VARR | - | Ventricular arrhythmia (disorder) | ARR | ventricular arrhythmia
VTA | - | Ventricular tachyarrhythmia (disorder) | VARR TACHY | ventricular tachyarrhythmia
VT | 164895002 | Ventricular tachycardia (disorder) | VTA | ventricular tachycardia; VTach; VT
PVT | 425856008 | Paroxysmal ventricular tachycardia (disorder) | VT | paroxysmal ventricular tachycardia; PVT
VF | 164896001 | Ventricular fibrillation (disorder) | VTA | ventricular fibrillation; VF; VFib
VFL | 111288001 | Ventricular flutter (disorder) | VTA | ventricular flutter; VFL
IVR | 49260003 | Idioventricular rhythm (finding) | VARR ESC | idioventricular rhythm
AIVR | 61277005 | Accelerated idioventricular rhythm (finding) | IVR | accelerated idioventricular rhythm; AIVR
VESR | 81898007 | Ventricular escape rhythm (finding) | IVR | ventricular escape rhythm; VEsR
FUSION | 13640000 | Fusion beat (finding) | VARR | fusion beats; ventricular fusion beat; fusion complex
AVD | 50799005 | Atrioventricular dissociation (finding) | ARR | atrioventricular dissociation; AV dissociation; AVD
PRC | - | Premature complex (finding) | ARR | premature complex; premature complexes; premature beat; extrasystole; ectopic beat; PRC(S)
SVPB | 63593006 | Supraventricular premature complex (finding) | PRC SVARR | supraventricular premature beats; supraventricular premature beat; SVPB; supraventricular extrasystole
PAC | 284470004 | Premature atrial contraction (finding) | SVPB | premature atrial contraction; atrial premature complex; atrial premature beat; atrial extrasystole; PAC; APC; APB
BPAC | 251170000 | Blocked premature atrial contraction (finding) | PAC | blocked premature atrial contraction; non-conducted premature atrial contraction; BPAC
JPC | 251164006 | Junctional premature complex (finding) | SVPB | junctional premature complex; junctional premature beat; JPC; JPB
VEB | 164884008 | Ventricular ectopic beat (finding) | PRC VARR | ventricular ectopics; ventricular ectopic beats; ventricular extrasystole
VPB | 17338001 | Ventricular premature beat (finding) | VEB | ventricular premature beats; ventricular premature beat; VPB
PVC | 427172004 | Premature ventricular contraction (finding) | VPB | premature ventricular contractions; premature ventricular contraction; ventricular premature complex; PVC; VPC
VPVC | 251182009 | Paired ventricular premature complexes (finding) | VEB | paired ventricular premature complexes; ventricular couplet; VPVC
BIGU | - | Bigeminal pattern (finding) | PRC | bigeminy; bigeminal rhythm; BIGU
TRIGU | - | Trigeminal pattern (finding) | PRC | trigeminy; trigeminal rhythm; TRIGU
SVB | 251168009 | Supraventricular bigeminy (finding) | BIGU SVPB | supraventricular bigeminy; SVB
ABIG | 251173003 | Atrial bigeminy (finding) | SVB PAC | atrial bigeminy; ABI
VBIG | 11157007 | Ventricular bigeminy (finding) | BIGU VPB | ventricular bigeminy; VBig
VTRIG | 251180001 | Ventricular trigeminy (finding) | TRIGU VPB | ventricular trigeminy; VTrig
ESC | - | Escape complex or rhythm (finding) | ARR | escape beat; escape rhythm
AED | 251187003 | Atrial escape beat (finding) | ESC | atrial escape beat; AED
JE | 426995002 | Junctional escape beat (finding) | ESC | junctional escape; junctional escape beat; JEB
VESB | 75532003 | Ventricular escape beat (finding) | ESC | ventricular escape beat; VEsB
PACED | 10370003 | Pacing rhythm (finding) | RHYF | pacing rhythm; paced rhythm; artificial pacemaker rhythm; electronic pacemaker rhythm
APACE | 251268003 | Atrial pacing pattern (finding) | PACED | atrial pacing pattern; atrial paced rhythm
VPACE | 251266004 | Ventricular pacing pattern (finding) | PACED | ventricular pacing pattern; ventricular paced rhythm; VPP

# ---- conduction
COND | - | Conduction disorder of the heart (disorder) | DIS | conduction disorder; conduction disturbance; cardiac conduction defect
AVB | 233917008 | Atrioventricular block (disorder) | COND ARR | av block; atrioventricular block; AV block; heart block; AVB
AVB1 | 270492004 | First degree atrioventricular block (disorder) | AVB | 1st degree av block; first degree AV block; 1AVB; IAVB; 1st degree heart block
AVB2 | 195042002 | Second degree atrioventricular block (disorder) | AVB | 2nd degree av block; second degree AV block; 2AVB; IIAVB
MOBITZ1 | 54016002 | Mobitz type I atrioventricular block (disorder) | AVB2 | mobitz type i wenckebach atrioventricular block; Wenckebach block; Mobitz I; Mobitz type I second degree AV block; MoI; 2AVB1
MOBITZ2 | 426183003 | Mobitz type II atrioventricular block (disorder) | AVB2 | mobitz type II atrioventricular block; Mobitz II; Mobitz type II second degree AV block; IIAVBII; 2AVB2
!MOBITZ2_CSN | 28189009 | Mobitz type II atrioventricular block, Chapman-Shaoxing code (disorder) | |
AVB3 | 27885002 | Complete atrioventricular block (disorder) | AVB | complete heart block; third degree atrioventricular block; third degree AV block; 3rd degree AV block; 3AVB; CHB
CIAHB | 204384007 | Congenital incomplete atrioventricular heart block (disorder) | AVB | congenital incomplete atrioventricular heart block; CIAHB
SAB | 65778007 | Sinoatrial block (disorder) | COND SND | sinoatrial block; SA block; sinoatrial exit block; SAB
IVCDG | - | Intraventricular conduction disorder (disorder) | COND | intraventricular conduction delay; intraventricular block
BBB | 6374002 | Bundle branch block (disorder) | IVCDG | bundle branch block; BBB
LBBB | 164909002 | Left bundle branch block (disorder) | BBB | left bundle branch block; LBBB
CLBBB | 733534002 | Complete left bundle branch block (disorder) | LBBB | complete left bundle branch block; CLBBB
ILBBB | 251120003 | Incomplete left bundle branch block (disorder) | LBBB | incomplete left bundle branch block; ILBBB
RBBB | 59118001 | Right bundle branch block (disorder) | BBB | right bundle branch block; RBBB
CRBBB | 713427006 | Complete right bundle branch block (disorder) | RBBB | complete right bundle branch block; CRBBB
IRBBB | 713426002 | Incomplete right bundle branch block (disorder) | RBBB | incomplete right bundle branch block; IRBBB
FASC | - | Left fascicular block (disorder) | IVCDG | fascicular block; hemiblock; left hemiblock
LAFB | 445118002 | Left anterior fascicular block (disorder) | FASC | left anterior fascicular block; left anterior hemiblock; LAFB; LAnFB
LPFB | 445211001 | Left posterior fascicular block (disorder) | FASC | left posterior fascicular block; left posterior hemiblock; LPFB
NSIVCB | 698252002 | Nonspecific intraventricular conduction disorder (disorder) | IVCDG | nonspecific intraventricular conduction disorder; non-specific intraventricular conduction disturbance; non-specific intraventricular conduction delay; IVCD; NSIVCB
DIB | 82226007 | Diffuse intraventricular block (disorder) | IVCDG | diffuse intraventricular block; DIB
VPEX | 195060002 | Ventricular pre-excitation (disorder) | COND | ventricular pre excitation; ventricular preexcitation; pre-excitation; VPEx; VPE
WPW | 74390002 | Wolff-Parkinson-White pattern (disorder) | VPEX | wolff parkinson white pattern; Wolff-Parkinson-White syndrome; Wolf-Parkinson-White syndrome; WPW; WPW syndrome

# ---- chamber hypertrophy / enlargement
HYPG | - | Cardiac chamber hypertrophy or enlargement (disorder) | DIS | chamber hypertrophy; cardiac hypertrophy
VH | 266249003 | Ventricular hypertrophy (disorder) | HYPG | ventricular hypertrophy; VH
LVH | 164873001 | Left ventricular hypertrophy (disorder) | VH | left ventricular hypertrophy; LVH
RVH | 89792004 | Right ventricular hypertrophy (disorder) | VH | right ventricular hypertrophy; RVH
SEHYP | - | Septal hypertrophy (disorder) | VH | septal hypertrophy; interventricular septal hypertrophy; SEHYP
AH | 195126007 | Atrial hypertrophy (disorder) | HYPG | atrial hypertrophy
ATRABN | - | Atrial abnormality (disorder) | HYPG | atrial enlargement; atrial overload
LAA | 253352002 | Left atrial abnormality (disorder) | ATRABN | left atrial abnormality; LAA; left atrial overload
LAE | 67741000119109 | Left atrial enlargement (disorder) | LAA | left atrial enlargement; LAE; left atrial overload/enlargement; LAO/LAE
LAH | 446813000 | Left atrial hypertrophy (disorder) | LAA AH | left atrial hypertrophy; LAH
RAAB | 253339007 | Right atrial abnormality (disorder) | ATRABN | right atrial abnormality; right atrial enlargement; right atrial overload/enlargement; RAO/RAE; RAE; RAAb
RAH | 446358003 | Right atrial hypertrophy (disorder) | RAAB AH | right atrial hypertrophy; RAH
RAHV | 67751000119106 | Right atrial high voltage (finding) | RAAB PWF | right atrial  high voltage; right atrial high voltage; RAHV

# ---- ischaemic heart disease
CHD | 53741008 | Coronary heart disease (disorder) | DIS | coronary heart disease; coronary artery disease; ischaemic heart disease; ischemic heart disease; CHD
MIS | 164861001 | Myocardial ischemia (disorder) | CHD | myocardial ischemia; myocardial ischaemia; MIs
AMIS | 413444003 | Acute myocardial ischemia (disorder) | MIS | acute myocardial ischemia; acute myocardial ischaemia; AMIs
CMI | 413844008 | Chronic myocardial ischemia (disorder) | MIS | chronic myocardial ischemia; chronic myocardial ischaemia; CMI
ISCSTT | - | Ischemic ST-T change (finding) | MIS | ischemic ST-T changes; ischaemic ST-T changes; ischaemic ST-T change
ISCNS | - | Ischemic ST-T change without regional localization (finding) | ISCSTT | non-specific ischemic; non-specific ischaemic; non-specific ischemic ST-T changes
ISCAN | 426434006 | Anterior myocardial ischemia (disorder) | ISCSTT | anterior ischemia; anterior ischaemia; ischemic in anterior leads; AnMIs
ISCIN | 425419005 | Inferior myocardial ischemia (disorder) | ISCSTT | inferior ischaemia; inferior ischemia; ischemic in inferior leads; IIs
ISCLA | 425623009 | Lateral myocardial ischemia (disorder) | ISCSTT | lateral ischaemia; lateral ischemia; ischemic in lateral leads; LIs
ISCAS | - | Anteroseptal myocardial ischemia (disorder) | ISCAN | ischemic in anteroseptal leads; anteroseptal ischemia; ISCAS
ISCAL | - | Anterolateral myocardial ischemia (disorder) | ISCAN | ischemic in anterolateral leads; anterolateral ischemia; ISCAL
ISCIL | - | Inferolateral myocardial ischemia (disorder) | ISCIN | ischemic in inferolateral leads; inferolateral ischemia; ISCIL
INJ | - | Subendocardial myocardial injury (disorder) | AMIS | subendocardial injury; subendocardial ischemia
INJAS | - | Subendocardial injury in anteroseptal leads (disorder) | INJ | subendocardial injury in anteroseptal leads; INJAS
INJAL | - | Subendocardial injury in anterolateral leads (disorder) | INJ | subendocardial injury in anterolateral leads; INJAL
INJLA | - | Subendocardial injury in lateral leads (disorder) | INJ | subendocardial injury in lateral leads; INJLA
INJIN | - | Subendocardial injury in inferior leads (disorder) | INJ | subendocardial injury in inferior leads; INJIN
INJIL | - | Subendocardial injury in inferolateral leads (disorder) | INJ | subendocardial injury in inferolateral leads; INJIL
MI | 164865005 | Myocardial infarction (disorder) | CHD | myocardial infarction; heart attack; infarction; MI
ACUTEMI | 57054005 | Acute myocardial infarction (disorder) | MI | acute myocardial infarction; acute MI
OLDMI | 164867002 | Old myocardial infarction (disorder) | MI | old myocardial infarction; prior myocardial infarction; healed myocardial infarction; OldMI
AMI | 54329005 | Anterior myocardial infarction (disorder) | MI | anterior myocardial infarction; anterior wall myocardial infarction; AnMI
SMI | - | Septal myocardial infarction (disorder) | MI | septal myocardial infarction
ASMI | - | Anteroseptal myocardial infarction (disorder) | AMI SMI | anteroseptal myocardial infarction; ASMI
LMI | - | Lateral myocardial infarction (disorder) | MI | lateral myocardial infarction; lateral wall myocardial infarction; LMI
ALMI | - | Anterolateral myocardial infarction (disorder) | AMI | anterolateral myocardial infarction; ALMI
IMI | - | Inferior myocardial infarction (disorder) | MI | inferior myocardial infarction; inferior wall myocardial infarction; IMI
ILMI | - | Inferolateral myocardial infarction (disorder) | IMI | inferolateral myocardial infarction; ILMI
PMI | - | Posterior myocardial infarction (disorder) | MI | posterior myocardial infarction; posterior wall myocardial infarction; true posterior myocardial infarction; PMI
IPMI | - | Inferoposterior myocardial infarction (disorder) | IMI | inferoposterior myocardial infarction; IPMI
IPLMI | - | Inferoposterolateral myocardial infarction (disorder) | IMI | inferoposterolateral myocardial infarction; IPLMI

# ---- other heart disorders and non-cardiac findings in the challenge tables
BRU | 418818005 | Brugada syndrome (disorder) | DIS | brugada; Brugada pattern; BRU
HF | 84114007 | Heart failure (disorder) | DIS | heart failure; cardiac failure
HVD | 368009 | Heart valve disorder (disorder) | DIS | heart valve disorder; valvular heart disease; HVD
TIA | 266257000 | Transient ischemic attack (disorder) | NONCARD | transient ischemic attack; transient ischaemic attack; TIA
ALR | 251139008 | Suspected arm electrode reversal (finding) | TECH | suspect arm ecg leads reversed; limb lead reversal; arm lead reversal; ALR

# ---- P wave, PR, QRS, QT, U findings that are also dataset classes
PWC | 164912004 | P wave change (finding) | PWF | p wave change; P wave abnormality; abnormal P wave; PWC
PPW | 251205003 | Prolonged P wave (finding) | PWC | prolonged P wave; broad P wave; PPW
TPW | 251223006 | Tall P wave (finding) | PWC | tall p wave; peaked P wave; TPW
LPR | 164947007 | Prolonged PR interval (finding) | PRF | prolonged pr interval; long PR interval; PR prolongation; PR interval extension; LPR; PRIE
SPRI | 49578007 | Shortened PR interval (finding) | PRF | shortened pr interval; short PR interval; SPRI
ABQRS | 164951009 | Abnormal QRS complex (finding) | QRSF | abnormal QRS; QRS abnormality; abQRS; ABQRS
QAB | 164917005 | Abnormal Q wave (finding) | ABQRS | qwave abnormal; Q wave abnormal; abnormal Q wave; Q waves present; pathological Q wave; QAb; AQW
RAB | 164921003 | R wave abnormal (finding) | ABQRS | r wave abnormal; abnormal R wave; RAb
PRWP | 365413008 | Poor R wave progression (finding) | RAB | poor R wave Progression; poor R wave progression; PRWP
FQRS | 164942001 | Fragmented QRS complex (finding) | ABQRS | fqrs wave; fragmented QRS; fQRS; FQRS
LQRSV | 251146004 | Low QRS voltage (finding) | VOLTF | low qrs voltages; low QRS voltages in the frontal and horizontal leads; low voltage QRS; LQRSV; LVOLT
LQRSV_CH | 251148003 | Low QRS voltage in chest leads (finding) | LQRSV | lower voltage QRS in chest lead; low precordial QRS voltage; LVQRSCL
LQRSV_LI | 251147008 | Low QRS voltage in limb leads (finding) | LQRSV | lower voltage QRS in limb lead; low limb lead QRS voltage; LVQRSLL
HVOLT | - | High QRS voltage (finding) | VOLTF | high QRS voltage; increased QRS voltage; HVOLT
LVHV | 55827005 | Left ventricular high voltage (finding) | HVOLT | left ventricular high voltage; voltage criteria for left ventricular hypertrophy; voltage criteria (QRS) for left ventricular hypertrophy; LVHV; VCLVH
LAD | 39732003 | Left axis deviation (finding) | AXF | left axis deviation; axis left shift; LAD
RAD | 47665007 | Right axis deviation (finding) | AXF | right axis deviation; axis right shift; RAD
ICA | 251200008 | Indeterminate cardiac axis (finding) | AXF | indeterminate cardiac axis; indeterminate axis; ICA
ROT | - | Horizontal plane QRS rotation (finding) | QRSF | precordial transition zone shift
CR | 251198002 | Clockwise rotation of heart (finding) | ROT | clockwise rotation; colockwise rotation; late precordial transition
CCR | 251199005 | Counterclockwise rotation of heart (finding) | ROT | countercolockwise rotation; counterclockwise rotation; early precordial transition; CCR
CVCL | 61721007 | Clockwise or counterclockwise vectorcardiographic loop (finding) | QRSF | clockwise or counterclockwise vectorcardiographic loop; CVCL/CCVCL
LQT | 111975006 | Prolonged QT interval (finding) | QTF | prolonged qt interval; long QT interval; long QT-interval; QT prolongation; QT interval extension; LQT; LNGQT; QTIE
SQT | 77867006 | Short QT interval (finding) | QTF | decreased qt interval; short QT interval; SQT
UAB | 164937009 | U wave abnormal (finding) | UWF | u wave abnormal; abnormal U wave; prominent U wave; UAb

# ---- ST-T findings
STSEG | 164930006 | ST segment abnormality (finding) | STT | st interval abnormal; ST segment abnormal; STIAb
STD | 429622005 | ST segment depression (finding) | STSEG | st depression; ST depression; non-specific ST depression; STD
ISTD | 704997005 | Inferior ST segment depression (finding) | STD | inferior ST segment depression; ISTD
STE | 164931005 | ST segment elevation (finding) | STSEG | st elevation; ST elevation; non-specific ST elevation
NST | - | Non-specific ST segment change (finding) | STSEG | non-specific ST changes; nonspecific ST changes; NST_
NSSTTA | 428750005 | Nonspecific ST-T abnormality (finding) | STT | nonspecific st t abnormality; non-specific ST-T abnormality; NSSTTA
TAB | 164934002 | T wave abnormal (finding) | STT | t wave abnormal; T-wave abnormality; T wave abnormality; TAb; TAB_
TINV | 59931005 | T wave inversion (finding) | TAB | t wave inversion; inverted T-waves; inverted T waves; negative T waves; TInv; INVT
NDT | - | Non-diagnostic T wave abnormality (finding) | TAB | non-diagnostic T abnormalities; NDT
NT | - | Non-specific T wave change (finding) | TAB | non-specific T-wave changes; nonspecific T wave changes; NT_
LOWT | - | Low amplitude T wave (finding) | TAB | low amplitude T-waves; low T waves; flat T waves; LOWT
HTV | 251259000 | High T wave voltage (finding) | TAB | high t-voltage; tall T waves; HTV
LVS | 370365005 | Left ventricular strain pattern (finding) | STT | left ventricular strain; LV strain pattern; LVS
ERE | 428417006 | Early repolarization (finding) | STT | early repolarization; early repolarisation; early repolarization of the ventricles; ERe
ANEUR | - | ST-T changes compatible with ventricular aneurysm (finding) | STE | ST-T changes compatible with ventricular aneurysm; ventricular aneurysm pattern; ANEUR
EL | - | Electrocardiographic changes due to electrolyte disturbance or drug (finding) | STT | electrolytic disturbance or drug; compatible with electrolyte abnormalities; drug or electrolyte effect; EDIS
DIG | - | Digitalis effect on electrocardiogram (finding) | EL | digitalis-effect; digitalis effect; digoxin effect; DIG
"""
