# ruff: noqa: E501  (data tables: one record per line reads better than wrapped records)
"""ECG signal features: the feature concepts and their links to class concepts.

``FEATURE_CONCEPT_TABLE`` uses the line format of ``concepts.CONCEPT_TABLE``; every feature
concept sits under the "Electrocardiographic finding" root (ECGF). ``FEATURE_TABLE`` lines are
``CLASS KEY | FEATURE KEY | feature_kind | criterion | source key [| D]`` (source keys:
SOURCES.md). ``D`` marks one of the class's 1-3 defining criteria (column ``defining`` of
features.tsv): the criterion that the cited standard uses to define the class, which every
prompt of a label with that concept must state. The other rows are supporting features.
Subtypes link their own features; a prompt for a class takes only the class concept's own
links (a subtype's features belong to the subtype's name, see ckepe.build).
"""

FEATURE_CONCEPT_TABLE = r"""
# groups: features sit under these component groups, never under a dataset class concept,
# so that a class's subtypes are diagnoses and its features are measurements
VOLTF | - | QRS voltage finding (finding) | QRSF | QRS amplitude finding
STF | - | ST segment finding (finding) | ECGF | ST segment measurement finding
TWF | - | T wave finding (finding) | ECGF | T wave measurement finding
UWF | - | U wave finding (finding) | ECGF | U wave measurement finding
# rhythm
F_SINUS_P | - | Sinus P wave before every QRS complex (finding) | RHYF PWF | sinus P waves; P wave before each QRS
F_REG_RR | - | Regular RR intervals (finding) | RHYF | regular rhythm; regular RR interval
F_IRREG_RR | - | Irregularly irregular RR intervals (finding) | RHYF | irregularly irregular rhythm; irregularly irregular ventricular response
F_PP_VAR | - | Phasic variation of the PP interval (finding) | RHYF | varying PP interval; respiratory variation of heart rate
F_PREMATURE | - | Premature beat interrupting the basic rhythm (finding) | RHYF | early beat; premature beat timing
F_COMP_PAUSE | - | Full compensatory pause after premature beat (finding) | RHYF | compensatory pause
F_NONCOMP_PAUSE | - | Non-compensatory pause after premature beat (finding) | RHYF | non-compensatory pause; reset of the sinus node
F_BIGEMINY | - | Every second beat premature (finding) | RHYF | alternating normal and premature beats; coupled beats
F_TRIGEMINY | - | Every third beat premature (finding) | RHYF | two normal beats followed by a premature beat
F_PAUSE_NO_P | - | Pause without P wave (finding) | RHYF | sinus pause without P wave
F_PAUSE_MULT | - | Pause equal to a multiple of the PP interval (finding) | RHYF | dropped P-QRS-T with PP multiple
F_AV_INDEP | - | Atrial and ventricular activity independent of each other (finding) | RHYF | P waves unrelated to QRS complexes; independent atrial and ventricular rhythms
F_V_RATE_GE_A | - | Ventricular rate equal to or faster than the atrial rate (finding) | RHYF | ventricular rate not slower than the atrial rate
F_RHYTHM_ABN | - | Abnormal rate or regularity or origin of the heart rhythm (finding) | RHYF | abnormal cardiac rhythm; dysrhythmia on the ECG
F_ESCAPE_LATE | - | Late complex ending a pause (finding) | RHYF | escape timing; late beat after pause
F_PACE_SPIKE | - | Pacemaker stimulus artefact (finding) | RHYF | pacing spike; pacemaker spike; pacing artefact
F_PACED_QRS | - | Wide QRS complex following a pacing stimulus (finding) | F_PACE_SPIKE QRSF | paced QRS complex; ventricular capture
F_PACED_P | - | P wave following an atrial pacing stimulus (finding) | F_PACE_SPIKE PWF | atrial capture; paced P wave
F_VT_RUN | - | Run of three or more consecutive wide QRS complexes (finding) | RHYF | run of ventricular beats; consecutive ventricular complexes
F_VF_WAVES | - | Chaotic irregular deflections without identifiable QRS complexes (finding) | RHYF | chaotic ventricular activity; no discernible QRS complexes
F_SINE_WAVE | - | Regular sine-wave ventricular oscillation without distinct QRS and T waves (finding) | RHYF | sine wave pattern; sinusoidal ventricular oscillation
F_SUDDEN_ONSET | - | Abrupt onset and termination of tachycardia (finding) | RHYF | paroxysmal onset; sudden onset and offset
F_COUPLET | - | Two consecutive premature ventricular complexes (finding) | RHYF | couplet; pair of ventricular premature beats
F_FUSION_QRS | - | QRS complex intermediate between sinus and ventricular complexes (finding) | RHYF QRSF | hybrid QRS morphology
# rate
F_RATE_NORMAL | - | Heart rate 60 to 100 per minute (finding) | RATEF | normal heart rate; normal rate
F_RATE_LT60 | - | Heart rate below 60 per minute (finding) | RATEF | slow rate; rate under 60
F_RATE_GT100 | - | Heart rate above 100 per minute (finding) | RATEF | fast rate; rate over 100
F_ATRIAL_RATE_FL | - | Atrial rate about 250 to 350 per minute (finding) | RATEF | atrial rate around 300 per minute
F_ATRIAL_RATE_AT | - | Atrial rate 100 to 250 per minute with ectopic P waves (finding) | RATEF | atrial tachycardia rate
F_RATE_JUNC | - | Junctional rate 40 to 60 per minute (finding) | RATEF | junctional escape rate
F_RATE_ACCJ | - | Junctional rate 60 to 100 per minute (finding) | RATEF | accelerated junctional rate
F_RATE_IDIOV | - | Ventricular rate 20 to 40 per minute (finding) | RATEF | idioventricular escape rate
F_RATE_AIVR | - | Ventricular rate 40 to 100 per minute (finding) | RATEF | accelerated idioventricular rate
F_RATE_SVT | - | Narrow complex tachycardia above 100 per minute, usually 150 to 250 per minute (finding) | RATEF | narrow complex tachycardia
F_RATE_VT | - | Ventricular rate above 100 per minute (finding) | RATEF | ventricular rate over 100
F_RVR | - | Rapid ventricular response above 100 per minute (finding) | RATEF | rapid ventricular rate; fast ventricular response
# P wave
F_ABSENT_P | - | Absent P waves (finding) | PWF | no P waves; P waves absent
F_FWAVES | - | Fibrillatory f waves (finding) | PWF | fibrillation waves; chaotic atrial activity
F_FLUTTER_WAVES | - | Sawtooth flutter F waves (finding) | PWF | flutter waves; saw-tooth pattern
F_P_ECTOPIC | - | Non-sinus P wave morphology (finding) | PWF | ectopic P wave; abnormal P wave axis
F_ATRIAL_ACT | - | Non-sinus atrial activity (finding) | PWF | ectopic P waves or flutter or fibrillatory waves
F_P_ABN | - | Abnormal P wave morphology or duration (finding) | PWF | abnormal P wave shape; P wave of abnormal size
F_P_PREMATURE | - | Premature P wave with different morphology (finding) | PWF | premature ectopic P wave; early P wave
F_P_RETRO | - | Retrograde or absent P wave around the QRS complex (finding) | PWF | retrograde P wave; inverted P wave in inferior leads
F_P_NONCONDUCTED | - | P wave not followed by a QRS complex (finding) | PWF | non-conducted P wave; dropped QRS complex; blocked P wave
F_P_MORE_THAN_QRS | - | More P waves than QRS complexes (finding) | PWF | atrial rate faster than ventricular rate
F_FLUTTER_AV | - | Fixed or variable AV conduction of flutter waves (finding) | RHYF | 2:1 flutter conduction; flutter with variable block
F_P_MULTIFORM | - | Three or more P wave morphologies (finding) | PWF | changing P wave morphology; multiform P waves
F_P_BROAD | - | P wave duration 120 ms or more (finding) | PWF | wide P wave; P wave of 120 ms or longer
F_P_NOTCHED | - | Notched P wave in lead II (finding) | PWF | bifid P wave; P mitrale
F_P_TERM_NEG_V1 | - | Deep broad terminal negative P wave in V1 (finding) | PWF | increased P terminal force in V1; negative terminal P wave in V1
F_P_TALL_II | - | P wave amplitude above 0.25 mV in lead II (finding) | PWF | tall peaked P wave; P pulmonale
F_P_TALL_V1 | - | Initial positive P wave above 0.15 mV in V1 (finding) | PWF | tall initial P in V1
# PR
F_PR_GT200 | - | PR interval longer than 200 ms (finding) | PRF | PR interval over 200 ms; PR above 0.20 s
F_PR_NORMAL | - | PR interval 120 to 200 ms (finding) | PRF | normal PR interval
F_PR_LT120 | - | PR interval shorter than 120 ms (finding) | PRF | PR interval under 120 ms; short PR
F_PR_PROGRESSIVE | - | Progressive PR prolongation before a non-conducted P wave (finding) | PRF | Wenckebach periodicity; progressive lengthening of PR interval
F_PR_CONSTANT_DROP | - | Constant PR interval with sudden non-conducted P wave (finding) | PRF | fixed PR interval with dropped beat
# QRS
F_QRS_LT120 | - | QRS duration less than 120 ms (finding) | QRSF | narrow QRS complex; normal QRS duration
F_QRS_GE120 | - | QRS duration 120 ms or more (finding) | QRSF | wide QRS complex; broad QRS; QRS duration >= 120 ms
F_QRS_110_119 | - | QRS duration 110 to 119 ms (finding) | QRSF | mildly prolonged QRS duration
F_QRS_GT110 | - | QRS duration more than 110 ms (finding) | QRSF | prolonged QRS duration
F_QRS_GE110 | - | QRS duration 110 ms or more (finding) | QRSF | QRS duration of at least 110 ms
F_QRS_PREMATURE_WIDE | - | Premature wide QRS complex without preceding P wave (finding) | QRSF | premature bizarre QRS complex; wide premature complex
F_QRS_LATE_WIDE | - | Late wide QRS complex without preceding P wave (finding) | QRSF | wide escape complex; ventricular escape complex
F_QRS_PREMATURE_NARROW | - | Premature narrow QRS complex similar to the sinus QRS (finding) | QRSF | premature narrow complex
F_RSR_V1 | - | rsR' or rSR' pattern in V1 or V2 (finding) | QRSF | M-shaped QRS in V1; RSR prime in V1; rabbit ears in V1
F_WIDE_S_LEFT | - | Wide S wave in leads I and V6 (finding) | QRSF | slurred S wave in I and V6; S wave longer than R wave in I and V6
F_BROAD_R_LEFT | - | Broad notched or slurred R wave in I, aVL, V5 and V6 (finding) | QRSF | broad notched R wave in V5-V6; M-shaped R wave in lateral leads
F_NO_Q_LEFT | - | Absent q waves in I, V5 and V6 (finding) | QRSF | loss of septal q waves
F_RPEAK_LEFT | - | R wave peak time above 60 ms in V5 and V6 (finding) | QRSF | delayed intrinsicoid deflection in V5-V6
F_AXIS_M45_M90 | - | Frontal QRS axis between -45 and -90 degrees (finding) | AXF | marked left axis deviation
F_QR_AVL | - | qR pattern in aVL with rS pattern in II, III and aVF (finding) | QRSF | qR in aVL; rS in inferior leads
F_RPEAK_AVL | - | R wave peak time in aVL 45 ms or more (finding) | QRSF | delayed intrinsicoid deflection in aVL
F_AXIS_90_180 | - | Frontal QRS axis between 90 and 180 degrees (finding) | AXF | rightward axis
F_RS_I_QR_III | - | rS pattern in I and aVL with qR pattern in III and aVF (finding) | QRSF | rS in lateral limb leads with qR inferiorly
F_AXIS_MARKED | - | Marked left or right deviation of the frontal QRS axis (finding) | AXF | frontal QRS axis beyond -45 or beyond +90 degrees
F_AXIS_LT_M30 | - | Frontal QRS axis more negative than -30 degrees (finding) | AXF | QRS axis below -30 degrees
F_AXIS_GT_90 | - | Frontal QRS axis more positive than +90 degrees (finding) | AXF | QRS axis over 90 degrees
F_AXIS_NORMAL | - | Frontal QRS axis between -30 and +90 degrees (finding) | AXF | normal QRS axis
F_AXIS_INDET | - | QRS complexes equiphasic in all limb leads (finding) | AXF | isoelectric QRS in all limb leads; northwest axis
F_DELTA | - | Delta wave (finding) | QRSF | slurred initial QRS upstroke; pre-excitation wave
F_Q_PATH | - | Pathological Q waves in two contiguous leads (finding) | QRSF | pathological Q waves; infarct Q waves; QS complexes
F_Q_SEPT | - | Q wave over 20 ms or QS complex in V2 and V3 (finding) | F_Q_PATH | septal Q waves; QS complexes in V2 and V3
F_Q_ANT | - | Pathological Q waves in V3 and V4 (finding) | F_Q_PATH | anterior Q waves; Q waves in V3-V4
F_Q_LAT | - | Pathological Q waves in I, aVL, V5 and V6 (finding) | F_Q_PATH | lateral Q waves; Q waves in I and aVL
F_Q_INF | - | Pathological Q waves in II, III and aVF (finding) | F_Q_PATH | inferior Q waves; Q waves in II, III, aVF
F_Q_TERRITORY | - | Pathological Q waves with ST-T changes in the leads of one coronary territory (finding) | F_Q_PATH | infarct pattern in a coronary territory; regional infarct Q waves
F_R_POST | - | Broad tall R wave with R/S ratio 1 or more in V1 and V2 (finding) | QRSF | tall R wave in V1-V2; posterior infarction mirror image
F_SOKOLOW | - | Sokolow-Lyon index above 35 mm (finding) | VOLTF | Sokolow-Lyon index > 35 mm; SV1 + RV5/V6 > 35 mm
F_CORNELL | - | Cornell voltage above sex-specific limit (finding) | VOLTF | Cornell voltage criterion; RaVL + SV3 increased
F_RAVL | - | R wave in aVL above 11 mm (finding) | VOLTF | tall R wave in aVL
F_TALL_R_V1 | - | Dominant R wave in V1 (finding) | VOLTF | R/S ratio above 1 in V1; tall R wave in V1
F_DEEP_S_LEFT | - | Deep S waves in V5 and V6 (finding) | QRSF | R/S ratio below 1 in V5-V6; persistent S wave in lateral leads
F_SEPTAL_Q_DEEP | - | Deep narrow Q waves in lateral or inferior leads (finding) | QRSF | deep narrow septal Q waves
F_FRAG | - | Additional R' wave or notching of the QRS in two contiguous leads (finding) | QRSF | notched QRS; RSR' without bundle branch block
F_POOR_R | - | R wave 3 mm or less in V3 (finding) | QRSF | small R waves in V1-V3; failure of R wave progression
F_TRANS_LATE | - | Precordial transition zone at V5 or V6 (finding) | QRSF | delayed transition zone
F_TRANS_EARLY | - | Precordial transition zone at V1 or V2 (finding) | QRSF | early transition zone
F_LOWV_LIMB | - | QRS amplitude 0.5 mV or less in every limb lead (finding) | VOLTF | limb lead QRS amplitude under 5 mm
F_LOWV_CHEST | - | QRS amplitude 1.0 mV or less in every precordial lead (finding) | VOLTF | precordial QRS amplitude under 10 mm
F_HIGH_QRS | - | QRS amplitude above the normal limits for age and sex (finding) | VOLTF | increased QRS amplitude; tall QRS complexes
F_QRS_ABN | - | Abnormal QRS duration, amplitude or morphology (finding) | QRSF | QRS morphology abnormality
F_QRS_NONSPEC_WIDE | - | Wide QRS with non-specific morphology (finding) | QRSF | QRS morphology not meeting bundle branch block criteria; non-specific QRS widening
F_VECTOR_LOOP | - | Abnormal direction of inscription of the QRS vector loop (finding) | QRSF | reversed QRS loop rotation
# ST segment and T wave
F_ST_DEP | - | Horizontal or downsloping ST depression of 0.5 mm or more (finding) | STF | horizontal ST depression; downsloping ST depression
F_ST_ELEV | - | ST elevation at the J point in two contiguous leads (finding) | STF | J point elevation; ST segment elevation in contiguous leads
F_ST_MINOR | - | Minor ST deviation below diagnostic thresholds (finding) | STF | slight ST depression; minor ST changes
F_STT_SECONDARY | - | Secondary ST-T changes discordant to the main QRS deflection (finding) | STF | discordant ST-T changes; secondary repolarization abnormality
F_ST_SAGGING | - | Sagging scooped ST depression (finding) | STF | scooped ST segment; reverse tick ST depression
F_ST_PERSISTENT | - | Persistent ST elevation with Q waves long after infarction (finding) | STF | persistent ST elevation
F_J_NOTCH | - | J point elevation with terminal QRS notching or slurring (finding) | STF | J wave; terminal QRS notch; slurred QRS downstroke
F_COVED_ST | - | Coved ST elevation of 2 mm or more with negative T wave in V1 or V2 (finding) | STF | type 1 Brugada pattern; coved ST elevation in right precordial leads
F_T_INV | - | Negative T wave in leads with dominant R wave (finding) | TWF | T wave inversion in leads with upright QRS
F_T_ABN | - | Abnormal T wave polarity or amplitude (finding) | TWF | abnormal T wave shape; T wave of abnormal size
F_T_DEEP_SYM | - | Symmetrical T wave inversion of 1 mm or more in two contiguous leads (finding) | TWF | symmetric deep T inversion; ischemic T waves
F_T_FLAT | - | Flat or low-amplitude T wave of 0.1 mV or less (finding) | TWF | flat T wave; low T wave
F_T_MINOR | - | Minor T wave flattening or inversion without specific cause (finding) | TWF | slight T wave changes
F_T_NONDIAG | - | T wave abnormality of no diagnostic significance (finding) | TWF | non-diagnostic T wave change; T wave change without diagnostic meaning
F_T_TALL | - | Tall T waves above normal amplitude limits (finding) | TWF | T waves above normal amplitude; prominent T waves
F_T_PEAKED | - | Tall narrow peaked T waves (finding) | TWF | tented T waves
F_STRAIN | - | Downsloping ST depression with asymmetric T inversion in V5 and V6 (finding) | STF | lateral strain pattern; lateral repolarization abnormality of hypertrophy
F_STRAIN_RV | - | Downsloping ST depression with T wave inversion in V1 to V3 (finding) | STF | right ventricular strain pattern; right precordial repolarization abnormality
F_ST_ABN | - | Abnormal ST segment contour or duration (finding) | STF | abnormal ST segment shape; prolonged ST segment
F_STT_ANT | - | Ischaemic ST depression or T inversion in V3 and V4 (finding) | STF | anterior ST-T changes
F_STT_SEPT | - | Ischaemic ST depression or T inversion in V1 and V2 (finding) | STF | septal ST-T changes
F_STT_LAT | - | Ischaemic ST depression or T inversion in I, aVL, V5 and V6 (finding) | STF | lateral ST-T changes
F_STT_INF | - | Ischaemic ST depression or T inversion in II, III and aVF (finding) | STF | inferior ST-T changes
# QT and U
F_QTC_LONG | - | QTc 450 ms or more in men or 460 ms or more in women (finding) | QTF | prolonged QTc; long corrected QT
F_QTC_SHORT | - | QTc 390 ms or less (finding) | QTF | short QTc; shortened corrected QT
F_QTC_NORMAL | - | QTc within normal limits (finding) | QTF | normal QTc
F_U_PROMINENT | - | Prominent or inverted U wave (finding) | UWF | U wave larger than T wave; inverted U wave
# technical
F_LEAD_I_INV | - | Inverted P, QRS and T waves in lead I (finding) | TECH | negative complexes in lead I; global negativity in lead I
"""

# CLASS | FEATURE | kind | criterion | source
FEATURE_TABLE = r"""
NORM | F_SINUS_P | rhythm | sinus rhythm: upright P in I and II before every QRS | S23 | D
NORM | F_RATE_NORMAL | rate | heart rate 60-100 /min | S23 | D
NORM | F_PR_NORMAL | pr | PR interval 120-200 ms | S23
NORM | F_QRS_LT120 | qrs | QRS duration < 120 ms | S06 | D
NORM | F_AXIS_NORMAL | axis | frontal QRS axis -30 to +90 degrees | S06
NORM | F_QTC_NORMAL | qt | QTc below 450 ms (men) / 460 ms (women) | S07
SR | F_SINUS_P | p_wave | P wave upright in I, II, aVF and before every QRS with constant PR | S23 | D
SR | F_RATE_NORMAL | rate | rate 60-100 /min | S23 | D
SR | F_REG_RR | rhythm | regular PP and RR intervals | S23
SB | F_SINUS_P | p_wave | sinus P waves before every QRS | S23 | D
SB | F_RATE_LT60 | rate | sinus rate < 60 /min (the 2018 ACC/AHA/HRS guideline uses < 50 /min) | S23 | D
SB | F_REG_RR | rhythm | regular rhythm | S23
STACH | F_SINUS_P | p_wave | sinus P waves before every QRS | S23 | D
STACH | F_RATE_GT100 | rate | sinus rate > 100 /min | S12 | D
STACH | F_REG_RR | rhythm | regular rhythm | S23
SARR | F_SINUS_P | p_wave | sinus P waves of constant morphology | S23 | D
SARR | F_PP_VAR | rhythm | PP intervals vary (by > 120 ms), typically with respiration | S23 | D
SARR | F_RATE_NORMAL | rate | rate usually 60-100 /min | S23
SND | F_RATE_LT60 | rate | inappropriately slow sinus rate | S13 | D
SND | F_PAUSE_NO_P | rhythm | sinus pauses or arrest | S13 | D
SARREST | F_PAUSE_NO_P | rhythm | pause without P wave, not a multiple of the PP interval | S13 | D
SARREST | F_ESCAPE_LATE | rhythm | pause may end with an escape beat | S23
BTS | F_RATE_LT60 | rate | episodes of sinus bradycardia or pauses | S13 | D
BTS | F_RATE_GT100 | rate | alternating with atrial tachyarrhythmias | S13 | D
SAB | F_PAUSE_MULT | rhythm | dropped P-QRS-T with pause a multiple of the PP interval | S13 | D
BRADY | F_RATE_LT60 | rate | ventricular rate < 60 /min | S23 | D
TACHY | F_RATE_GT100 | rate | heart rate > 100 /min | S12 | D
SVARR | F_ATRIAL_ACT | p_wave | abnormal atrial activity: ectopic P waves, flutter or fibrillatory waves | S12 | D
SVARR | F_QRS_LT120 | qrs | narrow QRS (< 120 ms) unless aberrant conduction | S12 | D
SVTA | F_RATE_GT100 | rate | atrial or ventricular rate > 100 /min | S12 | D
SVTA | F_QRS_LT120 | qrs | narrow QRS unless aberrant conduction | S12 | D
AFIB | F_ABSENT_P | p_wave | no discernible repeating P waves | S11 | D
AFIB | F_FWAVES | p_wave | irregular fibrillatory f waves, best seen in V1 | S11
AFIB | F_IRREG_RR | rhythm | irregularly irregular RR intervals (when AV conduction is not impaired) | S11 | D
AFIB | F_QRS_LT120 | qrs | usually narrow QRS | S11
PAF | F_IRREG_RR | rhythm | irregularly irregular RR intervals in self-terminating episodes | S11 | D
PAF | F_FWAVES | p_wave | fibrillatory waves instead of P waves during episodes | S11
CAF | F_IRREG_RR | rhythm | persistent irregularly irregular RR intervals | S11 | D
CAF | F_ABSENT_P | p_wave | no P waves | S11
RAF | F_IRREG_RR | rhythm | irregularly irregular RR intervals | S11 | D
RAF | F_RVR | rate | ventricular rate > 100 /min | S11 | D
RAF | F_FWAVES | p_wave | fibrillatory waves | S11
AFL | F_FLUTTER_WAVES | p_wave | regular sawtooth flutter waves, negative in II, III, aVF in typical flutter | S12 | D
AFL | F_ATRIAL_RATE_FL | rate | atrial rate about 250-350 /min (typically 300) | S12 | D
AFL | F_ABSENT_P | p_wave | no isoelectric baseline between flutter waves | S12
AFL | F_FLUTTER_AV | rhythm | fixed or variable AV conduction (often 2:1, ventricular rate about 150 /min) | S12
AFAFL | F_FWAVES | p_wave | alternating fibrillatory and flutter waves | S11 | D
AFAFL | F_FLUTTER_WAVES | p_wave | periods of organised flutter waves | S12 | D
AFAFL | F_IRREG_RR | rhythm | irregular ventricular response | S11
SVT | F_RATE_SVT | rate | regular narrow-complex tachycardia, usually 150-250 /min | S12 | D
SVT | F_QRS_LT120 | qrs | QRS < 120 ms unless aberrancy or pre-excitation | S12 | D
SVT | F_REG_RR | rhythm | regular RR intervals | S12
SVT | F_P_RETRO | p_wave | P waves absent, retrograde or abnormal | S12
PSVT | F_SUDDEN_ONSET | rhythm | abrupt onset and termination | S12 | D
PSVT | F_RATE_SVT | rate | regular narrow-complex tachycardia 150-250 /min | S12 | D
PSVT | F_P_RETRO | p_wave | P waves hidden in or just after the QRS | S12
ATACH | F_ATRIAL_RATE_AT | rate | atrial rate 100-250 /min | S12 | D
ATACH | F_P_ECTOPIC | p_wave | organised P waves with non-sinus morphology and isoelectric baseline | S12 | D
ATACH | F_REG_RR | rhythm | regular atrial rhythm, AV block may occur | S12
AVNRT | F_P_RETRO | p_wave | retrograde P hidden in QRS or pseudo-r' in V1 | S12 | D
AVNRT | F_RATE_SVT | rate | regular narrow-complex tachycardia 150-250 /min | S12 | D
AVNRT | F_SUDDEN_ONSET | rhythm | abrupt onset and termination | S12
AVRT | F_P_RETRO | p_wave | retrograde P wave after the QRS (RP > 70 ms) | S12 | D
AVRT | F_RATE_SVT | rate | regular tachycardia 150-250 /min | S12 | D
JTACH | F_P_RETRO | p_wave | retrograde or absent P waves, or AV dissociation | S12 | D
JTACH | F_QRS_LT120 | qrs | narrow QRS | S12
JTACH | F_RATE_GT100 | rate | junctional rate > 100 /min | S12 | D
ARH | F_P_ECTOPIC | p_wave | non-sinus P morphology (e.g. negative in II, III, aVF) | S23 | D
ARH | F_RATE_NORMAL | rate | rate 60-100 /min | S23
AAR | F_P_ECTOPIC | p_wave | ectopic atrial P waves | S23 | D
AAR | F_RATE_NORMAL | rate | atrial rate faster than the escape rate, below 100 /min | S23
WAP | F_P_MULTIFORM | p_wave | at least three different P wave morphologies | S23 | D
WAP | F_RATE_NORMAL | rate | rate < 100 /min | S23
SAAWR | F_P_MULTIFORM | p_wave | gradual change between sinus and atrial P morphologies | S23 | D
AVJR | F_P_RETRO | p_wave | absent or retrograde P waves | S13 | D
AVJR | F_RATE_JUNC | rate | rate 40-60 /min | S13 | D
AVJR | F_QRS_LT120 | qrs | narrow QRS | S13
AJR | F_RATE_ACCJ | rate | junctional rate 60-100 /min | S13 | D
AJR | F_P_RETRO | p_wave | absent or retrograde P waves | S13 | D
VARR | F_QRS_GE120 | qrs | wide QRS complexes of ventricular origin | S14 | D
VTA | F_RATE_VT | rate | ventricular rate > 100 /min | S14 | D
VTA | F_QRS_GE120 | qrs | wide QRS complexes | S14 | D
VT | F_VT_RUN | rhythm | three or more consecutive ventricular complexes | S14 | D
VT | F_RATE_VT | rate | rate > 100 /min | S14 | D
VT | F_QRS_GE120 | qrs | QRS >= 120 ms | S14 | D
VT | F_AV_INDEP | rhythm | AV dissociation, capture or fusion beats | S14
PVT | F_VT_RUN | rhythm | runs of ventricular tachycardia that terminate spontaneously | S14 | D
PVT | F_SUDDEN_ONSET | rhythm | abrupt onset and offset | S14 | D
PVT | F_QRS_GE120 | qrs | wide QRS complexes | S14
VF | F_VF_WAVES | rhythm | chaotic irregular deflections of varying amplitude, no QRS complexes | S14 | D
VF | F_ABSENT_P | p_wave | no organised atrial or ventricular activity | S14
VFL | F_SINE_WAVE | morphology | regular sine-wave oscillation about 250-300 /min | S14 | D
VFL | F_RATE_VT | rate | ventricular rate about 250-300 /min | S14
IVR | F_RATE_IDIOV | rate | ventricular escape rate 20-40 /min | S13 | D
IVR | F_QRS_GE120 | qrs | wide QRS complexes | S13 | D
IVR | F_AV_INDEP | rhythm | no relation to P waves | S13
AIVR | F_RATE_AIVR | rate | ventricular rate 40-100 /min | S14 | D
AIVR | F_QRS_GE120 | qrs | wide QRS complexes | S14 | D
AIVR | F_FUSION_QRS | morphology | fusion beats at onset and offset | S14
VESR | F_RATE_IDIOV | rate | rate 20-40 /min | S13 | D
VESR | F_QRS_GE120 | qrs | wide QRS | S13 | D
VESR | F_ESCAPE_LATE | rhythm | escape after failure of higher pacemakers | S13
FUSION | F_FUSION_QRS | morphology | QRS intermediate between the conducted and the ventricular complex | S14 | D
FUSION | F_PR_NORMAL | pr | preceded by a sinus P wave with equal or slightly short PR | S23
AVD | F_AV_INDEP | rhythm | P waves and QRS complexes independent | S13 | D
AVD | F_V_RATE_GE_A | rate | ventricular rate equal to or faster than the atrial rate (distinguishes it from complete AV block) | S23 | D
PRC | F_PREMATURE | rhythm | beat earlier than expected from the basic rhythm | S05 | D
SVPB | F_PREMATURE | rhythm | premature beat of supraventricular origin | S12 | D
SVPB | F_QRS_PREMATURE_NARROW | qrs | narrow QRS similar to the sinus QRS | S12 | D
SVPB | F_NONCOMP_PAUSE | rhythm | usually non-compensatory pause | S23
PAC | F_P_PREMATURE | p_wave | premature P wave with morphology different from sinus P | S12 | D
PAC | F_QRS_PREMATURE_NARROW | qrs | QRS usually identical to the normally conducted QRS | S12
PAC | F_NONCOMP_PAUSE | rhythm | non-compensatory pause | S23
BPAC | F_P_PREMATURE | p_wave | premature P wave often hidden in the preceding T wave | S23 | D
BPAC | F_P_NONCONDUCTED | p_wave | the premature P wave is not followed by a QRS | S23 | D
JPC | F_QRS_PREMATURE_NARROW | qrs | premature narrow QRS | S23 | D
JPC | F_P_RETRO | p_wave | absent or retrograde P wave | S23 | D
VEB | F_QRS_PREMATURE_WIDE | qrs | premature wide bizarre QRS without preceding P | S14 | D
VEB | F_STT_SECONDARY | t | T wave opposite to the QRS of the ectopic beat | S14
VPB | F_QRS_PREMATURE_WIDE | qrs | premature QRS >= 120 ms, not preceded by a P wave | S14 | D
VPB | F_COMP_PAUSE | rhythm | full compensatory pause | S23
VPB | F_STT_SECONDARY | t | discordant ST-T | S14
PVC | F_QRS_PREMATURE_WIDE | qrs | premature wide QRS (>= 120 ms) without preceding P wave | S14 | D
PVC | F_COMP_PAUSE | rhythm | full compensatory pause | S23
PVC | F_STT_SECONDARY | t | T wave opposite in direction to the main QRS deflection | S14
VPVC | F_COUPLET | rhythm | two consecutive premature ventricular complexes | S14 | D
VPVC | F_QRS_PREMATURE_WIDE | qrs | wide premature complexes | S14
BIGU | F_BIGEMINY | rhythm | every other beat is a premature complex | S02 | D
TRIGU | F_TRIGEMINY | rhythm | every third beat is a premature complex | S02 | D
SVB | F_BIGEMINY | rhythm | alternating sinus and supraventricular premature beats | S23 | D
SVB | F_QRS_PREMATURE_NARROW | qrs | narrow premature QRS | S23 | D
ABIG | F_BIGEMINY | rhythm | every other beat a premature atrial complex | S23 | D
ABIG | F_P_PREMATURE | p_wave | premature ectopic P wave | S23 | D
VBIG | F_BIGEMINY | rhythm | every other beat a premature ventricular complex | S14 | D
VBIG | F_QRS_PREMATURE_WIDE | qrs | wide premature QRS | S14 | D
VTRIG | F_TRIGEMINY | rhythm | every third beat a premature ventricular complex | S14 | D
VTRIG | F_QRS_PREMATURE_WIDE | qrs | wide premature QRS | S14 | D
ESC | F_ESCAPE_LATE | rhythm | late beat after a pause | S13 | D
AED | F_ESCAPE_LATE | rhythm | late atrial beat after a pause | S23 | D
AED | F_P_ECTOPIC | p_wave | non-sinus P morphology | S23 | D
JE | F_ESCAPE_LATE | rhythm | late beat after a pause | S13 | D
JE | F_P_RETRO | p_wave | absent or retrograde P wave | S13 | D
JE | F_QRS_LT120 | qrs | narrow QRS | S13
VESB | F_ESCAPE_LATE | rhythm | late beat after a pause | S13 | D
VESB | F_QRS_LATE_WIDE | qrs | late wide QRS (>= 120 ms) not preceded by a P wave, ending a pause | S13 | D
VESB | F_QRS_GE120 | qrs | wide QRS | S13
PACED | F_PACE_SPIKE | morphology | pacemaker stimulus artefacts | S22 | D
PACED | F_PACED_QRS | qrs | wide QRS after ventricular stimuli | S22
APACE | F_PACED_P | p_wave | P wave after each atrial stimulus | S22 | D
VPACE | F_PACED_QRS | qrs | wide QRS after each ventricular stimulus | S22 | D
VPACE | F_STT_SECONDARY | st | discordant ST-T changes | S22
COND | F_QRS_GT110 | qrs | delayed intraventricular conduction: QRS duration > 110 ms in adults | S06 | D
COND | F_PR_GT200 | pr | delayed AV conduction (AV block) | S13 | D
AVB | F_PR_GT200 | pr | delayed AV conduction | S13 | D
AVB | F_P_NONCONDUCTED | p_wave | some or all P waves not conducted in higher degree blocks | S13 | D
AVB1 | F_PR_GT200 | pr | PR interval > 200 ms | S13 | D
AVB1 | F_SINUS_P | p_wave | every P wave conducted (1:1) | S13
AVB2 | F_P_NONCONDUCTED | p_wave | intermittent non-conducted P waves | S13 | D
AVB2 | F_P_MORE_THAN_QRS | rhythm | more P waves than QRS complexes | S13 | D
MOBITZ1 | F_PR_PROGRESSIVE | pr | progressive PR prolongation until a P wave is not conducted | S13 | D
MOBITZ1 | F_P_NONCONDUCTED | p_wave | periodic non-conducted P wave | S13 | D
MOBITZ2 | F_PR_CONSTANT_DROP | pr | constant PR interval before and after a non-conducted P wave | S13 | D
MOBITZ2 | F_P_NONCONDUCTED | p_wave | sudden non-conducted P wave | S13 | D
MOBITZ2 | F_QRS_GE120 | qrs | often wide QRS (infranodal block) | S13
AVB3 | F_AV_INDEP | rhythm | complete AV dissociation: no P wave is conducted | S13 | D
AVB3 | F_P_MORE_THAN_QRS | rhythm | atrial rate faster than ventricular rate | S13 | D
AVB3 | F_RATE_LT60 | rate | slow regular junctional or ventricular escape rhythm | S13
CIAHB | F_PR_GT200 | pr | prolonged PR or intermittently non-conducted P waves | S13 | D
IVCDG | F_QRS_GT110 | qrs | QRS duration > 110 ms in adults in bundle branch blocks and nonspecific delay (fascicular blocks may have a normal QRS duration) | S06 | D
BBB | F_QRS_GE120 | qrs | QRS duration >= 120 ms in complete block | S06 | D
BBB | F_STT_SECONDARY | st | secondary ST-T changes | S06
LBBB | F_QRS_GE110 | qrs | QRS duration >= 120 ms (complete) or 110-119 ms (incomplete) in adults | S06 | D
LBBB | F_BROAD_R_LEFT | morphology | broad notched or slurred R in I, aVL, V5, V6 | S06 | D
LBBB | F_NO_Q_LEFT | qrs | absent q waves in I, V5, V6 | S06 | D
CLBBB | F_QRS_GE120 | qrs | QRS duration >= 120 ms in adults | S06 | D
CLBBB | F_BROAD_R_LEFT | morphology | broad notched or slurred R wave in I, aVL, V5 and V6 | S06 | D
CLBBB | F_NO_Q_LEFT | qrs | absent q waves in I, V5 and V6 | S06 | D
CLBBB | F_RPEAK_LEFT | qrs | R peak time > 60 ms in V5 and V6 | S06
CLBBB | F_STT_SECONDARY | st | ST and T usually opposite to the QRS | S06
ILBBB | F_QRS_110_119 | qrs | QRS duration 110-119 ms in adults | S06 | D
ILBBB | F_RPEAK_LEFT | qrs | R peak time > 60 ms in V4, V5 or V6 | S06 | D
ILBBB | F_NO_Q_LEFT | qrs | absence of q wave in I, V5 and V6 | S06 | D
RBBB | F_RSR_V1 | morphology | rsr', rsR' or rSR' in V1 or V2 | S06 | D
RBBB | F_WIDE_S_LEFT | qrs | wide S wave in I and V6 | S06 | D
RBBB | F_QRS_GE110 | qrs | QRS duration >= 120 ms (complete) or 110-119 ms (incomplete) in adults | S06
CRBBB | F_QRS_GE120 | qrs | QRS duration >= 120 ms in adults | S06 | D
CRBBB | F_RSR_V1 | morphology | rsr', rsR' or rSR' in V1 or V2, R' usually wider than the initial R | S06 | D
CRBBB | F_WIDE_S_LEFT | qrs | S wave of greater duration than R or > 40 ms in I and V6 | S06 | D
CRBBB | F_STT_SECONDARY | st | secondary ST-T changes in V1-V3 | S06
IRBBB | F_QRS_110_119 | qrs | QRS duration 110-119 ms in adults | S06 | D
IRBBB | F_RSR_V1 | morphology | rsr' or rSr' pattern in V1 or V2 | S06 | D
IRBBB | F_WIDE_S_LEFT | qrs | S wave wider than R in I and V6 | S06
FASC | F_QRS_LT120 | qrs | QRS duration < 120 ms | S06
FASC | F_AXIS_MARKED | axis | frontal QRS axis -45 to -90 degrees (anterior fascicle) or +90 to +180 degrees (posterior fascicle) in adults | S06 | D
LAFB | F_AXIS_M45_M90 | axis | frontal QRS axis -45 to -90 degrees | S06 | D
LAFB | F_QR_AVL | qrs | qR in aVL, rS in II, III and aVF | S06 | D
LAFB | F_RPEAK_AVL | qrs | R peak time in aVL >= 45 ms | S06
LAFB | F_QRS_LT120 | qrs | QRS duration < 120 ms | S06
LPFB | F_AXIS_90_180 | axis | frontal QRS axis +90 to +180 degrees in adults | S06 | D
LPFB | F_RS_I_QR_III | qrs | rS in I and aVL, qR in III and aVF | S06 | D
LPFB | F_QRS_LT120 | qrs | QRS duration < 120 ms | S06
NSIVCB | F_QRS_GT110 | qrs | QRS duration > 110 ms in adults (> 90 ms in children 8-16 years) | S06 | D
NSIVCB | F_QRS_NONSPEC_WIDE | morphology | morphology does not meet criteria for LBBB or RBBB | S06 | D
DIB | F_QRS_GE120 | qrs | diffusely prolonged QRS without bundle branch block morphology | S06 | D
VPEX | F_PR_LT120 | pr | PR interval < 120 ms | S06 | D
VPEX | F_DELTA | qrs | delta wave: slurred initial QRS upstroke | S06 | D
WPW | F_PR_LT120 | pr | PR interval < 120 ms during sinus rhythm | S06 | D
WPW | F_DELTA | qrs | delta wave (slurred QRS upstroke) in at least one lead | S06 | D
WPW | F_QRS_GE120 | qrs | QRS duration > 120 ms | S06
WPW | F_STT_SECONDARY | st | secondary ST-T changes | S06
HYPG | F_HIGH_QRS | voltage | increased QRS voltage in ventricular hypertrophy | S08 | D
HYPG | F_P_BROAD | p_wave | P wave duration >= 120 ms in left atrial enlargement | S08 | D
HYPG | F_P_TALL_II | p_wave | P amplitude > 0.25 mV in II in right atrial enlargement | S08 | D
VH | F_HIGH_QRS | voltage | increased QRS voltage | S08 | D
LVH | F_SOKOLOW | voltage | S V1 + R V5 or V6 > 35 mm | S15 | D
LVH | F_CORNELL | voltage | R aVL + S V3 > 28 mm (men) or > 20 mm (women) | S16 | D
LVH | F_RAVL | voltage | R aVL > 11 mm | S08
LVH | F_STRAIN | st | downsloping ST depression and asymmetric T inversion in V5-V6 (left ventricular strain) | S08
RVH | F_AXIS_GT_90 | axis | right axis deviation (> +90 degrees) | S08 | D
RVH | F_TALL_R_V1 | voltage | dominant R in V1 (R/S > 1, R >= 7 mm) | S08 | D
RVH | F_DEEP_S_LEFT | qrs | deep S waves in V5-V6 (R/S < 1) | S08
RVH | F_STRAIN_RV | st | ST depression and T wave inversion in the right precordial leads V1-V3 (right ventricular strain) | S08
SEHYP | F_SEPTAL_Q_DEEP | qrs | deep narrow Q waves in lateral and/or inferior leads | S20 | D
SEHYP | F_HIGH_QRS | voltage | high QRS voltage | S20 | D
SEHYP | F_T_INV | t | T wave inversion | S20
AH | F_P_BROAD | p_wave | increased P duration (left) | S08 | D
AH | F_P_TALL_II | p_wave | increased P amplitude (right) | S08 | D
ATRABN | F_P_BROAD | p_wave | abnormal P duration or amplitude | S08 | D
LAA | F_P_BROAD | p_wave | P wave duration >= 120 ms in II | S08 | D
LAA | F_P_NOTCHED | p_wave | notched P wave in II (inter-peak > 40 ms) | S08
LAA | F_P_TERM_NEG_V1 | p_wave | terminal negative P in V1 >= 40 ms and >= 1 mm deep | S08 | D
LAE | F_P_BROAD | p_wave | P wave duration >= 120 ms in II | S08 | D
LAE | F_P_NOTCHED | p_wave | notched (bifid) P in II | S08
LAE | F_P_TERM_NEG_V1 | p_wave | terminal negative P in V1 >= 40 ms and >= 1 mm deep | S08 | D
LAH | F_P_BROAD | p_wave | P wave duration >= 120 ms | S08 | D
LAH | F_P_TERM_NEG_V1 | p_wave | deep broad terminal negative P in V1 | S08 | D
RAAB | F_P_TALL_II | p_wave | P amplitude > 0.25 mV in II | S08 | D
RAAB | F_P_TALL_V1 | p_wave | initial positive P > 0.15 mV in V1 | S08 | D
RAH | F_P_TALL_II | p_wave | peaked P wave > 0.25 mV in II, III, aVF | S08 | D
RAH | F_P_TALL_V1 | p_wave | P > 0.15 mV in V1 or V2 | S08 | D
RAHV | F_P_TALL_II | voltage | P amplitude > 0.25 mV in II | S08 | D
CHD | F_Q_PATH | qrs | pathological Q waves after infarction | S10 | D
CHD | F_ST_DEP | st | ischaemic ST depression | S10 | D
MIS | F_ST_DEP | st | new horizontal or downsloping ST depression >= 0.5 mm in two contiguous leads | S10 | D
MIS | F_T_DEEP_SYM | t | T inversion > 1 mm in two contiguous leads with prominent R or R/S > 1 | S10 | D
AMIS | F_ST_DEP | st | new horizontal or downsloping ST depression >= 0.5 mm | S10 | D
AMIS | F_ST_ELEV | st | new ST elevation at the J point in two contiguous leads | S10 | D
AMIS | F_T_DEEP_SYM | t | new T inversion > 1 mm | S10 | D
CMI | F_ST_DEP | st | persistent ST depression | S23 | D
CMI | F_T_INV | t | persistent T wave inversion or flattening | S23 | D
ISCAN | F_STT_ANT | st | ischaemic ST depression or T inversion in V3-V4 | S09 | D
ISCIN | F_STT_INF | st | ischaemic ST depression or T inversion in II, III, aVF | S09 | D
ISCLA | F_STT_LAT | st | ischaemic ST depression or T inversion in I, aVL, V5, V6 | S09 | D
ISCAS | F_STT_SEPT | st | ischaemic ST-T changes in V1-V2 | S09 | D
ISCAS | F_STT_ANT | st | ischaemic ST-T changes in V3-V4 | S09 | D
ISCAL | F_STT_ANT | st | ischaemic ST-T changes in V3-V4 | S09 | D
ISCAL | F_STT_LAT | st | ischaemic ST-T changes in I, aVL, V5-V6 | S09 | D
ISCIL | F_STT_INF | st | ischaemic ST-T changes in II, III, aVF | S09 | D
ISCIL | F_STT_LAT | st | ischaemic ST-T changes in V5-V6 (and I, aVL) | S09 | D
INJ | F_ST_DEP | st | horizontal or downsloping ST depression (subendocardial injury) | S09 | D
INJAS | F_ST_DEP | st | ST depression | S09 | D
INJAS | F_STT_SEPT | st | in V1-V2 | S09 | D
INJAS | F_STT_ANT | st | in V3-V4 | S09 | D
INJAL | F_ST_DEP | st | ST depression | S09 | D
INJAL | F_STT_ANT | st | in V3-V4 | S09 | D
INJAL | F_STT_LAT | st | in I, aVL, V5-V6 | S09 | D
INJLA | F_ST_DEP | st | ST depression | S09 | D
INJLA | F_STT_LAT | st | in I, aVL, V5-V6 | S09 | D
INJIN | F_ST_DEP | st | ST depression | S09 | D
INJIN | F_STT_INF | st | in II, III, aVF | S09 | D
INJIL | F_ST_DEP | st | ST depression | S09 | D
INJIL | F_STT_INF | st | in II, III, aVF | S09 | D
INJIL | F_STT_LAT | st | in V5-V6 | S09 | D
MI | F_Q_TERRITORY | qrs | Q waves with ST-T changes in contiguous leads of one coronary territory (anterior, inferior, lateral, posterior) | S10 | D
MI | F_Q_PATH | qrs | Q wave > 20 ms or QS complex in V2 and V3, elsewhere Q >= 30 ms and >= 0.1 mV deep or QS complex in two contiguous leads of I, aVL, V6 / V4-V6 / II, III, aVF | S10
MI | F_ST_ELEV | st | new J point elevation >= 1 mm in two contiguous leads (V2-V3: >= 2 mm men >= 40 y, >= 2.5 mm men < 40 y, >= 1.5 mm women) in the acute phase | S10
MI | F_T_INV | t | T wave inversion in the evolving phase | S10
ACUTEMI | F_ST_ELEV | st | new J point elevation >= 1 mm in two contiguous leads (V2-V3: >= 2 mm men >= 40 y, >= 2.5 mm men < 40 y, >= 1.5 mm women) | S10 | D
ACUTEMI | F_ST_DEP | st | new horizontal or downsloping ST depression >= 0.5 mm | S10 | D
ACUTEMI | F_T_DEEP_SYM | t | new T inversion > 1 mm | S10 | D
OLDMI | F_Q_PATH | qrs | pathological Q waves without a non-ischaemic cause | S10 | D
AMI | F_Q_ANT | qrs | pathological Q waves in V3-V4 | S10 | D
AMI | F_ST_ELEV | st | ST elevation in V2-V4 in the acute phase | S09
SMI | F_Q_SEPT | qrs | Q wave > 20 ms or QS complex in V2 and V3 (a QS complex in V1 alone is normal) | S10 | D
ASMI | F_Q_SEPT | qrs | Q wave > 20 ms or QS complex in V2 and V3 | S10 | D
ASMI | F_Q_ANT | qrs | Q waves in V3-V4 (>= 30 ms in V4) | S10 | D
LMI | F_Q_LAT | qrs | Q waves in I, aVL, V5, V6 | S10 | D
LMI | F_ST_ELEV | st | ST elevation in I, aVL, V5-V6 in the acute phase | S09
ALMI | F_Q_ANT | qrs | Q waves in V3-V4 | S10 | D
ALMI | F_Q_LAT | qrs | Q waves in I, aVL, V5-V6 | S10 | D
IMI | F_Q_INF | qrs | Q waves in II, III, aVF | S10 | D
IMI | F_ST_ELEV | st | ST elevation in II, III, aVF in the acute phase | S09
IMI | F_T_INV | t | T inversion in inferior leads | S10
ILMI | F_Q_INF | qrs | Q waves in II, III, aVF | S10 | D
ILMI | F_Q_LAT | qrs | Q waves in V5-V6 (I, aVL) | S10 | D
PMI | F_R_POST | qrs | R >= 40 ms in V1-V2 with R/S >= 1 and positive T, without conduction defect | S10 | D
PMI | F_ST_DEP | st | ST depression in V1-V3 (posterior injury mirror) in the acute phase | S09
IPMI | F_Q_INF | qrs | Q waves in II, III, aVF | S10 | D
IPMI | F_R_POST | qrs | tall broad R in V1-V2 | S10 | D
IPLMI | F_Q_INF | qrs | Q waves in II, III, aVF | S10 | D
IPLMI | F_R_POST | qrs | tall broad R in V1-V2 | S10 | D
IPLMI | F_Q_LAT | qrs | Q waves in V5-V6 | S10 | D
BRU | F_COVED_ST | st | coved ST elevation >= 2 mm with negative T in >= 1 right precordial lead V1-V2 | S17 | D
ALR | F_LEAD_I_INV | morphology | inverted P, QRS and T in lead I; aVR positive | S21 | D
PWC | F_P_ABN | p_wave | abnormal P wave duration, amplitude, axis or morphology | S05 | D
PWC | F_P_BROAD | p_wave | broad P wave | S08
PPW | F_P_BROAD | p_wave | P wave duration >= 120 ms | S08 | D
TPW | F_P_TALL_II | p_wave | P amplitude > 0.25 mV in II | S08 | D
LPR | F_PR_GT200 | pr | PR interval > 200 ms | S13 | D
SPRI | F_PR_LT120 | pr | PR interval < 120 ms | S06 | D
ABQRS | F_QRS_ABN | qrs | abnormal QRS duration, amplitude or morphology | S02 | D
ABQRS | F_FRAG | qrs | notching of the QRS | S19
QAB | F_Q_PATH | qrs | Q wave > 20 ms or QS complex in V2 and V3, elsewhere Q >= 30 ms and >= 0.1 mV deep or QS complex in two contiguous leads of I, aVL, V6 / V4-V6 / II, III, aVF | S10 | D
RAB | F_POOR_R | qrs | abnormal R wave amplitude or progression | S23 | D
RAB | F_TALL_R_V1 | qrs | abnormally tall R wave in V1 | S08 | D
PRWP | F_POOR_R | qrs | R wave <= 3 mm in V3 | S23 | D
FQRS | F_FRAG | qrs | additional R' or notching in the nadir of R or S in two contiguous leads | S19 | D
LQRSV | F_LOWV_LIMB | voltage | QRS amplitude <= 0.5 mV in every limb lead | S23 | D
LQRSV | F_LOWV_CHEST | voltage | QRS amplitude <= 1.0 mV in every precordial lead | S23 | D
LQRSV_CH | F_LOWV_CHEST | voltage | QRS amplitude <= 1.0 mV in every precordial lead | S23 | D
LQRSV_LI | F_LOWV_LIMB | voltage | QRS amplitude <= 0.5 mV in every limb lead | S23 | D
HVOLT | F_HIGH_QRS | voltage | QRS amplitude above normal limits | S08 | D
HVOLT | F_SOKOLOW | voltage | S V1 + R V5/V6 > 35 mm | S15
LVHV | F_SOKOLOW | voltage | S V1 + R V5 or V6 > 35 mm | S15 | D
LVHV | F_CORNELL | voltage | R aVL + S V3 > 28 mm (men) or > 20 mm (women) | S16 | D
LVHV | F_RAVL | voltage | R aVL > 11 mm | S08
LAD | F_AXIS_LT_M30 | axis | frontal QRS axis -30 to -90 degrees | S06 | D
RAD | F_AXIS_GT_90 | axis | frontal QRS axis +90 to +180 degrees in adults | S06 | D
ICA | F_AXIS_INDET | axis | QRS equiphasic in all limb leads, axis cannot be determined | S05 | D
CR | F_TRANS_LATE | morphology | R/S transition at V5 or V6 | S23 | D
CCR | F_TRANS_EARLY | morphology | R/S transition at V1 or V2 | S23 | D
CVCL | F_VECTOR_LOOP | morphology | abnormal direction of rotation of the QRS loop | S23 | D
LQT | F_QTC_LONG | qt | QTc >= 450 ms (men) or >= 460 ms (women) | S07 | D
SQT | F_QTC_SHORT | qt | QTc <= 390 ms | S07 | D
UAB | F_U_PROMINENT | t | U wave amplitude increased (> T in same lead) or inverted | S07 | D
STT | F_ST_DEP | st | ST segment deviation | S07 | D
STT | F_T_INV | t | T wave changes | S07 | D
STSEG | F_ST_DEP | st | ST depression | S07
STSEG | F_ST_ELEV | st | ST elevation | S07
STD | F_ST_DEP | st | horizontal or downsloping ST depression >= 0.5 mm (0.05 mV) | S10 | D
ISTD | F_ST_DEP | st | ST depression | S07 | D
ISTD | F_STT_INF | st | in II, III, aVF | S09 | D
STE | F_ST_ELEV | st | J point elevation >= 1 mm in two contiguous leads (higher limits in V2-V3) | S10 | D
NST | F_ST_MINOR | st | minor ST deviation without a specific pattern | S02 | D
NSSTTA | F_ST_MINOR | st | minor ST deviation | S07 | D
NSSTTA | F_T_MINOR | t | minor T flattening or inversion | S07 | D
TAB | F_T_INV | t | T wave inversion | S07
TAB | F_T_FLAT | t | flat or low T wave | S07
TINV | F_T_INV | t | negative T wave in leads where it is normally upright | S07 | D
NDT | F_T_NONDIAG | t | T wave changes without diagnostic meaning | S02 | D
NDT | F_T_MINOR | t | minor T flattening or inversion (supporting: the form statement NT_ is defined by it) | S07
NT | F_T_MINOR | t | non-specific T flattening or inversion | S07 | D
LOWT | F_T_FLAT | t | T amplitude <= 0.1 mV in leads with dominant R | S07 | D
HTV | F_T_TALL | t | T amplitude above normal limits | S07 | D
HTV | F_T_PEAKED | t | tall narrow peaked T waves | S07
LVS | F_STRAIN | st | downsloping ST depression and asymmetric T inversion in V5-V6 | S08 | D
ERE | F_J_NOTCH | st | J point elevation >= 0.1 mV with a notch or slur on the downslope of a prominent R wave in >= 2 contiguous inferior and/or lateral leads, ST elevation not required | S18 | D
ERE | F_QRS_LT120 | qrs | QRS duration < 120 ms (the consensus excludes wide QRS) | S18 | D
ANEUR | F_ST_PERSISTENT | st | persistent ST elevation weeks after infarction | S09 | D
ANEUR | F_Q_PATH | qrs | Q waves or QS in the same leads | S09
EL | F_T_PEAKED | t | peaked T waves (hyperkalaemia) | S23 | D
EL | F_U_PROMINENT | t | prominent U waves (hypokalaemia) | S23 | D
EL | F_QTC_LONG | qt | QT prolongation (hypocalcaemia, drugs) | S23 | D
DIG | F_ST_SAGGING | st | sagging (scooped) ST depression | S23 | D
DIG | F_QTC_SHORT | qt | shortened QT interval | S23
DIG | F_T_FLAT | t | flattened or inverted T waves | S23
ARR | F_RHYTHM_ABN | rhythm | abnormal rate, regularity or site of origin of the rhythm | S05 | D
STSEG | F_ST_ABN | st | ST segment abnormal in contour or duration (elevation and depression are separate statements) | S07 | D
TAB | F_T_ABN | t | T wave abnormal in polarity, amplitude or contour | S07 | D
ISCSTT | F_ST_DEP | st | new horizontal or downsloping ST depression >= 0.5 mm in two contiguous leads | S10 | D
ISCSTT | F_T_DEEP_SYM | t | T inversion > 1 mm in two contiguous leads with prominent R or R/S > 1 | S10 | D
ISCNS | F_ST_DEP | st | new horizontal or downsloping ST depression >= 0.5 mm in two contiguous leads | S10 | D
ISCNS | F_T_DEEP_SYM | t | T inversion > 1 mm in two contiguous leads with prominent R or R/S > 1 | S10 | D
"""
