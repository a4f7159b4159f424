"""Regenerate the sample surveys in data/raw/surveys/ from the hand-written (fictional) answers kept here.

Run from the repo root: ``.venv/bin/python scripts/make_sample_surveys.py``. Output is deterministic apart
from the XLSX container's timestamps.

Data format: respondents are separated by blank lines. The first line holds pipe-separated attributes; every
further line is ``<key> <answer>`` (Qualtrics keys 5-8 and 10 are Q5-Q8 and Q10; a missing key is a blank
answer; `` ¶ `` inside an answer is a line break the respondent typed).
Qualtrics header: role code | department | meetings attended (Q4) | trust 1-5 (Q9) | optional user language.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import string
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parents[1] / "data" / "raw" / "surveys"

# Wave 1 (fielded December 2023).
WAVE1 = """
CM | Partner | 6-10 | 3
5 Honestly it was the phone call. Dana called me herself instead of sending a flyer. After the 2019 listening sessions went nowhere I wasn't going to come to another county thing, but a real person asked.
6 When our tenant meeting language ended up word for word in the housing draft. I read it and I could hear Mrs. Alvarez saying it.
7 Start on time and end on time. Some of us have a bus to catch.
8 How the budget calendar works. Nobody ever explained that the Board decides in June and the fight is in January.

CS | Health | More than 10 | 4
5 Trust got harder after the June meeting, not gonna lie. What helped was that we didn't pretend it didn't happen. The repair circle in August was uncomfortable but it was the first time I've seen a county group actually stop and deal with something.
6 I felt ownership when the public safety group asked me to pull stop data and then actually used it to rewrite the section. Didn't feel it when the consultant's outline showed up with icons before we had even met.
7 Keep the pause rule. Maybe practice it so people know how it works before it's needed.
8 Disaggregating data isn't just a technical choice, it decides who shows up as real.

DL | Housing | More than 10 | 4
5 Being straight with people about what I can and can't commit to. When I say yes in the room, it happens. When I can't, I say so.
6 The housing working group. We edited every sentence together on a shared screen. Painful. Worth it.
7 Less time on updates, more time on decisions. We could send updates by email.
8 That my staff are more capable of community work than I gave them credit for, when I actually give them time for it.

CM | Partner | 3-5 | 2
5 I don't trust it yet. Its a county committee. They cut the equity fund the minute money got tight, that tells you the priority.
6 Didnt feel ownership. We review what the consultant writes.
7 Let community members run some meetings not just the county staff
8 

FC | Partner | More than 10 | 4
5 I've watched trust get built in small promises kept: notes sent on Friday, calls returned. It is slower than anyone wants and it can't be skipped.
6 As a facilitator I don't think it should be my plan, and that's the point. The moment I felt it was working was when members started correcting each other's drafts without looking at me.
7 I froze in June. I need a co-facilitator whose only job is to watch the room, not the agenda, and we need to practice the pause before we need it.
8 That deadline pressure gets into my body and comes out as moving on. I'm learning to say out loud when we're behind and let the group choose what to cut.

CS | Sheriff | 6-10 | 3
5 Harder at first. I felt like the department was walking in already guilty. Got better once we started looking at actual data together instead of trading anecdotes.
6 Working group on the stop data. We found holes in our own records that nobody outside would have spotted. That felt like ours.
7 More structure for the hard conversations. The repair process worked but it took two months to set up.
8 I need to know our own numbers before I open my mouth.

CM | Partner | 1-2 | 
5 the food
6 
7 
8 

CM | Partner | 6-10 | 5
5 Kwame. He remembers everybody's name and he asks about your family. Small things but that's how you know somebody sees you.
6 When we voted on which sections to push to phase two, that was the first time I felt like we decided something instead of the county deciding and telling us.
7 Interpretation at every meeting please, not just the big ones. My mother wants to come but she wont come if its only English.
8 Que tenemos más poder del que pensamos. (That we have more power than we think.)
10 Gracias Kwame.

EO | Board | 3-5 | 3
5 Trust has been helped by people being direct with each other, including with our office. I'd rather hear the hard thing in the room.
6 I felt ownership when the committee's one-pager was the document the Commissioner brought to the budget hearing. Our office didn't write it. The community did. That's how it should be.
7 Share a one-paragraph summary after each meeting that elected offices can forward. We can't attend everything.
8 How much unpaid labor goes into "community input".

CS | Library | 3-5 | 4
5 The library branch meetings after closing, three of them, sitting at the big table with the whiteboard. Much easier to trust people when you're not in the Administration Building.
6 Co-writing the library section with two of our regulars. Their sentence about the free meeting rooms is better than anything I would have written.
7 
8 Ask who the thing is for before deciding what the thing is.
10 We'd love to host more meetings at the branches.

CM | Partner | More than 10 | 3
5 Trust goes up and down. Up when Tom actually apologized and knew the number. Down every time the Administrator sends a new deadline without coming to a single meeting. Richard Hale has never sat in that room. Not once.
6 Ownership: the budget hearing. 23 of us signed up for public comment. Nobody from the county organized it, we did. ¶ Not ownership: the economic development section. I still don't know what "leverage cross-sector partnerships" means.
7 Stop squeezing reflection into the last 10 minutes. If it matters put it first.
8 I can read a county budget now. I'm doing a workshop for my building in January.

DL | Public Works | More than 10 | 4
5 Coffee with Jerome before meetings. We each tell the other what's actually going on in our worlds. Can't get that anywhere else.
6 When the equity weighting for the capital scoring model made it into the draft. First time in seventeen years I've seen a meeting comment turn into a line that moves money.
7 Fewer acronyms. Somebody had to tell me CIP means nothing to people. They were right.
8 Data isn't neutral. I built that scoring model - well, maintained it - and thought it was objective. It was objective about the wrong things.

CM | Partner | 3-5 | 2
5 Hard to trust when the staff are on the clock and we are on our own time. The gift cards were insulting, the stipends are better but came late.
6 
7 Meet in the neighborhoods. Eastside library, churches, the community center. Not downtown where parking is $12.
8 

CS | Budget | 6-10 | 3
5 Being the person who presented the cut made it very hard. I felt distrusted by the community and too close to the community for my own office. What helped: the pause, and people letting me explain the calendar instead of shooting the messenger.
6 Drawing the budget calendar on the whiteboard. For once the process was on the table and not hidden.
7 Tell staff ahead of time when they'll be presenting bad news so we can prepare, and have the facilitator frame it.
8 That "community pushback" isn't weather. It's people taking time off work. I got the hearing notice moved from 3 weeks to 6 weeks ahead.

CM | Partner | 1-2 | 3
5 Not sure yet, this was my 2nd meeting
6 
7 A sheet with all the acronyms would help a lot.
8 

CM | Partner | 6-10 | 4
5 i trust the other community folks a lot. county people some yes some no. Priya from health i trust because she changed the data rule when we pushed. thats action not words
6 the story panels idea for the dashboard. that came from us, from Fatima actually
7 more breaks. 3 hours is too long without a real break
8 that a county rule can be changed if you push with a reason

DL | Health | 6-10 | 4
5 Watching people disagree with each other in the open and then come back the following month. That's rare in government.
6 I felt ownership over the data section but honestly I think the community members should feel it more than me.
7 Make sure department leads are actually at the table. A lot of the friction comes from staff who can't commit to anything having to go back and ask.
8 I'm more comfortable saying "I don't know, I'll find out."

CM | Partner | More than 10 | 2
5 The June meeting broke something for me. I watched a sheriff's lieutenant tell a mother her nephew's stops were "a few bad experiences" and the facilitator said "thank you both" and moved on. Nobody said anything, including me, and I've thought about my own silence a lot since then. The repair circle helped. Hearing Maria say she froze, and Tom say he didn't know his own department's numbers, that was more honesty than I expected from anybody in that building. It didn't undo it. An apology is the beginning of something, not the end. I'm still here because Luz is still here, and if she can sit at that table, I can too. ¶ I'll say one more thing: the people who were harmed did most of the work of the repair. That should not be the pattern going forward.
6 
7 Facilitators need to be trained to interrupt harm in real time. Not after. In the moment.
8 That silence in a meeting is a choice, and usually it protects the institution.

FC | Partner | More than 10 | 3
5 Trust has been harder for the consultant role than I expected. I arrived with a framework from two other counties, and that read as "the plan is already written." Fair reading, in hindsight.
6 The dashboard working group. Nobody had a template that worked, so we built one together.
7 Give the consultant less airtime in the early meetings.
8 Bring questions to the first meeting. Bring templates to the third one, if at all.

CS | Parks | 1-2 | 3
5 I've only been twice. People seem kind but guarded.
6 
7 A short orientation for new people would help. I didn't know what the parking lot was (the list, not the actual parking lot lol)
8 

CM | Partner | 6-10 | 3 | ES
5 Me ayudó que hubiera interpretación en español. Before that I only talked in the small groups.
6 Cuando votamos para pagar a los miembros de la comunidad. The stipend vote.
7 Interpretation always, and send the documents in Spanish before the meeting not after.
8 Que mi experiencia cuenta. My experience counts.

CS | HR | 3-5 | 3
5 I think trust is getting built slowly, but it's mostly between the people who show up every time. Newer people feel outside it.
6 I haven't felt ownership of the workforce section yet, it's mostly been HR presenting things to the group.
7 Evening meetings are hard for hourly staff and we don't have any on the committee. That's partly on us in HR.
8 We need a way to release hourly employees for this kind of work on paid time.

CM | Partner | 3-5 | 4
5 honestly the snacks and the childcare. i know that sounds small but if my kids are fed and watched i can actually pay attention
6 when the youth collective got asked to co-write the library part
7 
8 how to talk in a meeting with county people without feeling dumb

EO | Board | 1-2 | 3
5 Too early for me to say, I started attending in October.
6 
7 
8 That the Board hears about this work mostly second hand. We should fix that.

CM | Partner | More than 10 | 4
5 The harder things got the more I trusted the people who stayed. The budget fight, the June meeting, the deadline. You find out who's real.
6 Testifying at the budget hearing. I was shaking, but it was our plan I was defending, not the county's.
7 Give us the draft at least a week before, not 48 hours. Some of us read slowly, and some of us read in a second language.
8 Where the real numbers are in the budget book (page 214, not the pretty charts in front).
10 Can the survey be shorter next time? Also thank you.

CS | Public Works | 3-5 | 3
5 Greg bringing the real spreadsheet instead of the presentation version. People noticed.
6 Not yet. I'm mostly there to answer questions.
7 Put staff and community at mixed tables. We still sit in two groups.
8 

CM | Partner | 6-10 | 1
5 Nothing has helped. The cut from 1.2 million to 450 thousand told me everything. They put some back after we fought but we should not have had to fight for a promise.
6 Never. The pillars were written before we got there.
7 =IF(county_listens, "keep going", "stop wasting our time")
8 Same thing I learned in 2019.
10 no

CS | Health | 6-10 | 4
5 People being honest about their positions. When Dana said she'd stayed quiet to protect a relationship with a department, I trusted her more, not less.
6 Helping Fatima and Bao with the story panels - that was co-created in the real sense.
7 More small group time. The large group is dominated by the same six voices (including mine, sorry).
8 Protection and erasure can be the same rule.

CM | Partner | 3-5 | 3
5 Trust is better with people I've had 1:1 conversations with. Hard to trust a room of 35.
6 Writing the tenant protections paragraph with Angela's team.
7 Could we do some meetings on Saturday? Tuesdays at 6 I'm still at work half the time.
8 Tenant law basics. Honestly the county staff taught me a few things too.

DL | Sheriff | 6-10 | 3
5 I'll be honest, I came in defensive. What helped was being asked to bring records instead of being asked to defend them.
6 The public safety working group rewrote the section, and my name is on the data part. I'm accountable for it now and I want to be.
7 Don't let hard moments go by. That's on everybody, not just the facilitator.
8 That our stop data had gaps (the Highway Patrol handoffs), and that we'd rather find them ourselves.
10 I'd like the evaluation to note that the department did participate in good faith after June.

CM | Partner | More than 10 | 4
5 When the minutes finally recorded that harm happened. "Concerns were raised" isn't a record. The new minutes are.
6 The repair agreements. We wrote them together after August and they're ours. Not the county's, not the consultant's.
7 Keep recording harm in the minutes. Keep the one-week phone check-in.
8 Accountability has to be written down or it didn't happen.

CS | Housing | 3-5 | 4
5 Angela (my director) modeled it. She told the group when she couldn't commit and why. That made it ok for the rest of us to be honest.
6 The tenant navigator positions. I helped cost them out. If they get funded that's partly ours.
7 Shorter slides, more talking.
8 How much the community already knows about our programs that we don't.

CM | Partner | 1-2 | 
5 
6 
7 Spanish please
8 

CM | Partner | 6-10 | 3
5 Some trust. I trust Maria but I'm not sure she has the power to protect what we write once it goes to the Administrator.
6 I felt ownership in the small working group, not in the big meetings.
7 Tell us clearly what happens when the Administrator's office changes our words. Nobody has answered that since March.
8 How slow government is, and why. Not that it makes it better.

FC | Equity | More than 10 | 4
5 Consistency. Showing up, following up, and saying "I don't know" when I don't. Also paying people - the move from gift cards to $75 stipends changed the room.
6 When the community members organized for the budget hearing on their own, without us. That was ownership, and it wasn't ours to give.
7 We should hand agenda-setting to community co-chairs. I'm proposing it for January.
8 I'm learning to stop absorbing pressure from above and passing it down as urgency.

CM | Partner | 3-5 | 4
5 Being paid. I'm serious. Once the stipend started I felt like a colleague instead of a volunteer who is being "engaged."
6 
7 Pay by direct deposit? The checks take six weeks.
8 

EO | Board | 3-5 | 4
5 Kept promises. The Office of Equity said they'd bring the committee's ask to the budget hearing and they did.
6 The protected stipend line. We helped word it.
7 
8 What co-creation actually requires in staff time. It's more than anyone budgets for.

CM | Partner | 6-10 | 3
5 The circles. Hearing why people came. Spite and hope, somebody said, and I felt that.
6 Not yet but I'm closer.
7 Let people who don't talk much go first sometimes. The loud ones (me included) fill up the space.
8 Listening. I used to just wait for my turn.

CS | Library | 1-2 | 4
5 Haven't been long enough to say.
6 
7 Hybrid option please. I work evenings at the branch on Tuesdays.
8 

CM | Partner | More than 10 | 3
5 What helped trust: the apology in August was real. What made it harder: that it took a public incident for anyone to look at the stop data. That data existed the whole time.
6 When Tom said "I should have known that number, it's our data." That's when I felt like the section was ours and not theirs.
7 Facilitators should have the authority to stop the agenda and not worry about the Administrator's staff on the call.
8 People can change. Slowly. With pressure.

CS | Health | 3-5 | 3
5 Small group work. Big group still feels like a performance.
6 
7 Maybe an anonymous way to raise concerns between meetings? Not everyone will call a pause in front of 30 people.
8 Our community health worker program has a lot to learn from how the tenants union organizes.

CM | Partner | 6-10 | 5 | ES
5 Mucho. The people here became my friends. Denise, Luz, Rosa, we have a group chat now.
6 When I saw my words in the plan. "Tenants should not have to choose between heat and rent." That's mine.
7 
8 That I'm not the only one. 💛

DL | Budget | 3-5 | 3
5 Hard to build trust when my office is always the bearer of bad news. I think people see the budget office as the obstacle.
6 I didn't feel ownership, and I'm not sure I should. We advise on feasibility. But I want the plan to succeed.
7 Involve Budget earlier. We can help shape commitments that will survive a bad revenue year if we're in the room before they're written.
8 The committee showed me the real cost of our timelines on residents.

CM | Partner | 3-5 | 2
5 Idk. The Sheriff rep thing really messed it up for me and I wasn't even there, I heard about it.
6 
7 Have a rule for what happens when someone says something racist. Like an actual rule not vibes.
8 

FC | Partner | 6-10 | 4
5 Co-facilitating with Maria. We debrief after every meeting, 20 minutes, what did we miss. That's built trust between us, and I think the group can feel it.
6 The parking lot. Sounds silly. But every item on it got answered eventually, and members started adding to it themselves.
7 We need to practice the pause so it isn't only used for emergencies. Use it for small things too.
8 Repair takes longer than harm. Plan for it.
10 Maria and I would like to see the facilitation notes included in the evaluation, we've kept them all.

CS | Sheriff | 1-2 | 2
5 Honestly I feel like a target in there. I get why, but it doesn't make me want to come back.
6 
7 Maybe a session just for staff to talk about what it's like before mixed sessions.
8 

CM | Partner | More than 10 | 4
5 The consultant admitting he was wrong in front of everybody. Theo said Samira was right about "decorating". Didn't expect that from a consultant.
6 Dashboard story panels. Our organization wrote one and families reviewed it before it went up.
7 Please stop saying "best practice." Whose practice?
8 How to read a table with suppressed cells and ask why they're suppressed.

CM | Partner | 3-5 | 3
5 I trust the group but not the timeline. Everything gets rushed at the end.
6 Partly. The sections I worked on yes. The rest no.
7 More time between draft and comments. 48 hours is not enough for working people.
8 

CS | Parks | 3-5 | 4
5 Marcus asking me why the Eastside pool closes at 5. Simple question, embarrassing answer, but I trust people who ask me straight.
6 I'm not in a working group. I'd like to be.
7 Assign new people to a working group on day one so they have something to do.
8 Our pool schedule was basically a map of where the Friends of the Park groups raise money.

CM | Partner | 6-10 | 4
5 Relationships outside the meetings. I went to Jerome's church fundraiser. Greg came too. Trust happens there.
6 When we chose the community members for the public safety working group ourselves. Dana didn't pick, we did.
7 
8 You can fight with somebody in a meeting and still be in relationship with them after.

CM | Partner | 3-5 | 3
5 trust
6 no
7 ok as is
8 budget

CS | Health | More than 10 | 4
5 The working agreements. Specifically "anyone can call a pause" - it changed the power in the room because it means the agenda isn't sacred.
6 Working with Nate on the dashboard wireframe being torn apart by Bao's question "which public?" I felt ownership of the rebuilt version in a way I never did of the original.
7 Rotate who takes notes. Right now it's always a staff person, which means the record is written from the county's side.
8 The question "who is this for" belongs at the start of every project.

CM | Partner | 6-10 | 2
5 Made harder: being asked to share personal stories about racism, over and over, for a document. It costs something every time. We get $75. The consultant gets a contract.
6 
7 Don't ask us for stories unless you can say exactly where the story is going and who will read it.
8 I'm going to be more careful about where I share my family's experience.

CS | Housing | 6-10 | 4
5 I appreciated that the community members didn't give up on us after the budget cut. They had every right to.
6 Helping organize the childcare for the October meetings. Small, but I owned it.
7 Offer childcare at every meeting, not just the big ones.
8 

CM | Partner | More than 10 | 4
5 If you want to talk more about this call me, 555-0142, I have a lot to say that doesn't fit in a box. Short version: trust came from Maria Reyes keeping every small promise for 9 months.
6 When we rewrote the public safety section from scratch.
7 The meetings are too long and too often since October. Every two weeks plus working groups is a part-time job.
8 That I can hold the county accountable without being its enemy.

DL | Library | 3-5 | 3
5 Fine so far.
6 I'd say the library section is co-owned, though it went through a lot of rounds of edits.
7 Share the agenda a week ahead.
8 Community members have sharper ideas about our spaces than our own strategic plan does.

CM | Partner | 6-10 | 4 | VI
5 Chị Bao giúp tôi hiểu. Bao helped translate for my mother and me, so I could understand the data part. Then I trusted it.
6 When the dashboard showed Vietnamese families separately and not just "Asian".
7 Vietnamese interpretation too, not only Spanish.
8 Data can say you don't exist. Or it can say you do.

CS | Budget | 3-5 | 3
5 It's been hard being in the room as "the budget person". I've appreciated the people who separated me from the decision.
6 
7 
8 

FC | Partner | 3-5 | 4
5 The honesty in the reflection circles.
6 Not my place, I'm an outside facilitator for the working groups. Success is them owning it.
7 Less time reviewing, more time drafting together. Review means the real work happened somewhere else.
8 

CM | Partner | More than 10 | 5
5 I'll say it plain. After June I was going to quit. What kept me was Denise calling me and saying, you put it on the table, don't leave it there alone. And then Tom actually showing up to the working group. Every time. With the records.
6 The Pause and Repair protocol. We made it out of what happened to me, so it's mine in a way I didn't choose but I accept.
7 The pause is the most important thing we have. Don't let it become a formality.
8 That I can go back into a room where I was hurt and not be destroyed by it. I didn't know that about myself.
10 Tell Tom I see him trying.

EO | Board | 3-5 | 3
5 Elected offices are seen as outside the group, and maybe we are. I try to be transparent about vote counts and what's possible.
6 
7 Invite Board members to a reflection circle, just to listen.
8 Community members were more strategic about the budget than some of our own staff.

CM | Partner | 3-5 | 3
5 - not much yet, ask me next year
6 - the stipend vote
7 - shorter meetings
8 - 

CS | HR | 6-10 | 3
5 When people from different departments started admitting the same problems. Nobody's department is the bad one, the patterns are county-wide.
6 
7 Have a clear "decision" vs "discussion" label on each agenda item so we know what we're doing.
8 Hiring data needs the same disaggregation discussion the dashboard had.

CM | Partner | 1-2 | 
5 first time, I came because my friend brought me
6 
7 
8 

CM | Partner | 6-10 | 3
5 Helped: Kwame's check-in questions. Harder: people from the Administrator's office who come, sit in back, leave early and don't say anything. Feels like being watched.
6 Partly, on the housing part.
7 If you're in the room you should introduce yourself and say why you're there.
8 

CS | Public Works | 6-10 | 4
5 Jerome telling me my slides had too many acronyms. Somehow that made me trust the group - they'll tell you the truth.
6 The capital scoring change. Even phased, it's real.
7 Maybe rotate meetings between downtown and neighborhoods.
8 Write "capital improvement plan," not "CIP". People engage when they understand.

CM | Partner | More than 10 | 3
5 I trust individual people but I don't trust the process to survive a bad year. It almost didn't survive September.
6 Budget hearing testimony, obviously. It's the moment I understood we could actually push.
7 When the Administrator sets a deadline, the committee should vote on whether to accept it. Not just be told.
8 The Administrator proposes and the Board decides. Nobody tells you that.

DL | Parks | 1-2 | 3
5 New. Seems like a committed group.
6 
7 
8 

CM | Partner | 6-10 | 4
5 "What's said here stays here." People actually kept that. I've heard nothing leak.
6 Writing the youth section with the collective. We wrote it on the library whiteboard at 8pm and took a photo of it.
7 Please stop changing our language in the formatting rounds. The plan sounds less like us every draft.
8 Youth can lead. We just don't get asked.

CS | Health | 3-5 | 3
5 It's easier for me to trust other staff than community members, and I think the reverse is true too. We haven't closed that gap.
6 
7 Mixed small groups with a rule that staff speak second.
8 I'm noticing how often I speak first.

FC | Equity | More than 10 | 4
5 What helped: we admitted what went wrong in June publicly. What made it harder: the budget cut, which I had to defend as part of the county even though I disagreed with it.
6 Ownership moved from my office to the group sometime in the fall. I noticed when people stopped asking me for permission.
7 Co-chairs from the community should run the agenda. We're proposing it.
8 That my training to protect institutional relationships is sometimes the problem.

CM | Partner | 3-5 | 4
5 good people
6 when they listened about the bus stop
7 more snacks 😂
8 a lot

CS | Sheriff | 3-5 | 3
5 Trust is slowly improving. Looking at data together has helped more than talking.
6 Helping pull the records for the working group.
7 It would help if concerns about my department were brought to me directly first when possible.
8 The disparity numbers in the unincorporated areas. I didn't know them.

CM | Partner | 6-10 | 2
5 It's hard to trust a group where some people can make decisions and most of us can't. We advise. They decide. Call it what it is.
6 
7 Be honest in the charter about who decides what.
8 Power doesn't announce itself. It's in the procurement rules and the budget calendar.
10 "Co-create" is a big word. Let's see if they mean it in 2024.

CM | Partner | 3-5 | 4
5 Weekly check-in texts from the facilitators when I missed a meeting. Nobody made me feel guilty, they just caught me up.
6 
7 Keep the text updates. Not everyone does email.
8

CM | Partner | More than 10 | 4
5 Showing up for each other outside the meetings. When my building lost heat in November, three people from the committee came to the tenant meeting, including one county person who didn't have to.
6 When the group voted to push two sections to phase two. We chose quality over the deadline. That's us deciding.
7 Slow down. I know the Administrator wants December. The plan will be here longer than his deadline.
8 How to organize a public comment day. 23 signups!!

CS | Health | 6-10 | 4
5 Trust grows when people see you more than once. I'm the badge until I'm Priya, and that took about four meetings.
6 The suppression rule change for small numbers. I wrote the memo, but the idea came from the working group.
7 Keep the working groups small (6-8).
8 How to hear "erasure" when I think I'm saying "protection".

CM | Partner | 6-10 | 3
5 Sometimes it feels like the staff talk to each other in code. When they slow down and explain, trust goes up.
6 
7 Glossary!! and a buddy system for new members
8 What an FTE is lol

DL | Health | 3-5 | 3
5 Transparency about the Administrator's expectations. Maria was open about the December deadline from day one.
6 Not much, I've delegated most of it to my staff. That may have been a mistake.
7 
8 I should come myself more.

CM | Partner | More than 10 | 4
5 People listened when I said the stipend was too low. They didn't just say "procurement rules" and end there. Priya explained the rules and then they actually changed them. $50 gift card to $75 stipend.
6 I felt it the day the stipend passed. That was a thing I pushed for and it happened.
7 Pay co-chairs for the prep meetings too, when we have co-chairs.
8 Strategic complaining is a skill. 😄

CS | Library | 3-5 | 4
5 Meeting in the branches. People are more relaxed in a library than a government building.
6 Helping set up the Eastside after-hours sessions.
7 
8 Our meeting room policy is a barrier. We're changing it.

CM | Partner | 1-2 | 2
5 Didn't feel welcome at the first meeting, nobody explained anything and everyone already knew each other.
6 
7 Welcome new people!! Someone should sit with them.
8 

EO | Board | 6-10 | 4
5 The way the committee handled the budget fight. It organized without burning bridges with the Board. That made me trust its judgment.
6 
7 Give elected offices earlier notice of recommendations that need Board action, even informally. Surprises make Supervisors defensive.
8 Residents will show up when they know exactly what's being decided and when.

CM | Partner | 3-5 | 3
5 Trust is there with my group (the youth folks). The big group I'm still figuring out.
6 I felt ownership writing the youth part. I felt the opposite when an adult staff person summarized what we said and got it wrong.
7 Let youth present our own stuff.
8 

CS | Housing | More than 10 | 4
5 The repair circle. I wasn't involved in the June incident but watching how it was handled told me this group could handle hard things.
6 The tenant navigator proposal. Started as a comment from Jerome, became a costed line item.
7 Fewer people reporting out from small groups. Just share the decisions.
8 Co-design takes longer up front and saves time later. We spent less time fixing the housing section than any other.

CM | Partner | 6-10 | 3
5 Iftiin ayaa ila ahaa in la i maqlo. (It felt like light to be heard.) But I wish more Somali families were in the room, we are always "under 11" in the data and we are few in the meetings too.
6 The story panel our association wrote for the dashboard.
7 Somali interpretation please, and meet after Isha prayer during Ramadan.
8 That small numbers still matter.

FC | Partner | 6-10 | 3
5 Harder: my role as consultant means I'm associated with the deadline. Helped: owning that I wrote drafts overnight and asking what people wanted instead.
6 
7 Build drafting time into the meetings instead of having the consultant draft between them.
8 Speed is a choice, even when it doesn't feel like one.

CM | Partner | More than 10 | 4
5 I trust the people. Dana, Maria, Kwame, Priya, even Tom now. I don't trust the Board yet. That's next year's problem.
6 The repair agreements and the budget hearing. Two totally different kinds of ownership.
7 Honestly the facilitation has gotten a lot better since summer. Keep doing what you're doing, especially the pauses.
8 That I'm better at this than I thought.

CS | Public Works | 1-2 | 3
5 N/A - only attended once as a presenter.
6 
7 
8 

CM | Partner | 3-5 | 2
5 Harder: the consultant's outline. We spent a month arguing with a template.
6 
7 Stop using consultants to write things for us. Pay community members to write.
8 

DL | Housing | 6-10 | 4
5 Candor. I told the group in October that I'd say no to a January draft if the working group wasn't done, and they trusted me more for it.
6 Every sentence of the housing section.
7 
8 I can push back on the Administrator's timeline with a good reason and nothing terrible happens.

CM | Partner | 6-10 | 4
5 The moment in the August circle when Dana said she was a Black woman trained not to react in rooms like that. I felt seen. I'm trained the same way.
6 When the community members chose our own reps for public safety.
7 More circles, less presentations.
8 That I don't have to keep the peace all the time. Sometimes keeping the peace is keeping the harm.

CS | Health | 3-5 | 
5 I'd rather not answer this one.
6 
7 Please share materials in accessible formats (large print, screen reader friendly PDFs).
8 

CM | Partner | More than 10 | 3
5 Trust is a practice, not a feeling. You do it every meeting. Some meetings we do it better.
6 When we pushed back on the December deadline and split the plan into phases. We weren't just reacting.
7 I think the facilitators still let county staff go on too long. Set a timer for presentations.
8 Patience. Which I do not have naturally.

CS | Sheriff | 6-10 | 3
5 The data work. Talking past each other stopped when we had the same numbers in front of us.
6 Co-writing the stop data commitments with community members. It's not what I'd have written alone. It's better.
7 
8 I'm bringing the disparity numbers to the academy curriculum committee.

CM | Partner | 3-5 | 4
5 Being treated like an expert on my own neighborhood.
6 Sidewalks! The capital scoring change. My street has been gravel since 1998.
7 
8 Where the money for sidewalks actually comes from.

CM | Partner | 6-10 | 3
5 Kind of both. The people are great, the county as an institution still makes me nervous. Every time a higher-up shows up the energy in the room changes.
6 I felt ownership in the circles, not so much in the plan itself.
7 Could we have one meeting a year where the Administrator comes and listens? Just listens.
8 That the people with the most power come to the fewest meetings.

CS | HR | 1-2 | 3
5 Only been to one meeting, it seemed respectful.
6 
7 
8 

CM | Partner | More than 10 | 5
5 My email is luzh.harbor@example.org if the evaluators want to follow up, I'm happy to talk. For the form: trust came from people staying after the hard meeting. Not leaving.
6 The public safety working group, every Thursday since September.
7 Keep the pause. Keep the phone check-in after harm. Keep the circles.
8 Spite and hope can turn into something else. I don't know the word for it yet.

DL | Public Works | 3-5 | 3
5 It's helped to see the committee follow up on the capital scoring issue instead of letting it drop after one meeting.
6 
7 Clearer asks to departments. Sometimes we leave and don't know what's expected of us.
8 

CM | Partner | 6-10 | 4
5 Honestly? The stipend and the food and Kwame's jokes. And that nobody talked down to me.
6 When my idea about the bus stop benches got into the transportation list.
7 Fewer slides
8 how to say what I need in a meeting

CM | Partner | 6-10 | 3
5 I trusted it more after the budget hearing. Before that it was all talk. After, we'd done something together.
6 The one-pager we made for the hearing. Eight of us wrote it at Casa de la Comunidad on a Sunday.
7 Better follow up after meetings, the notes are sometimes two weeks late now that everything is so busy.
8 How to speak for 2 minutes at public comment and make it count.
10 Thank you for doing this survey in Spanish too.

CS | Budget | 6-10 | 4
5 The people who came up to me after the September meeting to say "we know it's not you." That mattered more than they probably realize.
6 When the Board restored the fund to $800K and protected the stipends mid-year. We wrote that protection language together, staff and community.
7 
8 Ask "who will this cut land on" in every internal review. I've started doing it.
10 Please keep my answers general, I'm easy to identify.

CM | Partner | 3-5 | 3
5 Still deciding. The group is friendly but I've been burned by "community engagement" before. I give it another year.
6 
7 Tell us what happened with our ideas. Even the ones that got cut. Especially those.
8 

FC | Equity | More than 10 | 4
5 Naming the pressure out loud. When I told the group the December deadline was coming from the Administrator and not from Theo, people could aim their frustration at the right place.
6 I don't want to own it. I want to host it.
7 Start every meeting with what decisions are on the table tonight and who is making them.
8 "The group decides what to cut, not me." I'll keep that one forever.
10 Evaluators: please ask the people who left why they left. We don't know all of them.
"""

# Wave 2 (fielded late November 2024).
WAVE2 = """
CM | Partner | More than 10 | 5
5 Two years of people doing what they said. That's it, that's the secret. Also the co-chairs. Once Denise, Samira and Rosa were setting the agenda, I stopped wondering whose meeting it was.
6 The whole year honestly. But the Saturday meeting about the policy name, 40 people in the room deciding together, that was the moment. We didn't get everything but we decided.
7 Monthly, please. Every two weeks is too much now that the plan is passed.
8 That we can lose a fight (the title) and still win what matters (the content).
10 Thank you to the co-chairs. They carried a lot this year.

CS | Sheriff | More than 10 | 4
5 What helped was being given a way back after I caused harm. I didn't deserve it automatically. People made me earn it by showing up, and then they let me.
6 When the academy agreed to put the disparity numbers and the story panels into new deputy training. That's something I can point to.
7 Keep the working groups. Drop the big monthly report-outs, they're long and most of it could be an email.
8 Listening before defending. I'm not perfect at it. I'm better.

DL | Housing | More than 10 | 5
5 The relationships have carried us through things that would have ended other committees - the cut, the renaming. I think people trust each other more than they trust the county, and that's probably correct.
6 The tenant navigators got funded in the FY25 budget because the housing section was ready in March. Two navigators started in August. That's ownership you can visit.
7 We've become very good at talking. We need to get equally good at tracking implementation - the progress report process in October was chaos.
8 Phased adoption. Ship what's ready, keep co-writing the rest. I'm using that in our five-year housing plan now.

CM | Partner | More than 10 | 3
5 Trust is high with people, lower with the Board. They cut the word "racial" from the title. We compromised, I voted yes, and I'm still mad.
6 Ownership: the compromise we wrote ourselves, "racial equity" in the first sentence and in the annual reporting. Not ownership: watching the Board celebrate "Equity for All" in the press release like it was their idea.
7 The co-chairs are doing great. The facilitation is good. The problem isn't facilitation, it's the pace. Slow down.
8 How votes get counted on a Board before anyone votes.

CM | Partner | 6-10 | 4 | ES
5 Me siento en casa. I feel at home here now. The interpreter is for everybody now, not only for us.
6 Cuando Doña Carmen habló en la reunión grande, en español. Everybody listened. That was our meeting.
7 Sábados, por favor. Saturday mornings are better for families.
8 Que puedo hablar en una reunión grande. That I can speak in a big meeting.

DL | Public Works | 3-5 | 4
5 Greg set it up well before he rotated off. I inherited relationships I didn't build, and people were patient while I caught up.
6 The capital scoring pilot started in July. The first three Eastside sidewalk segments ranked in the top ten. That's the plan working.
7 Give new department reps a one-hour orientation with a community co-chair. I had to learn the history by accident.
8 The "why" behind the scoring change. I was skeptical. I'm not now.

CM | Partner | More than 10 | 2
5 I'm exhausted and I'm not sure the county notices. We gave two years. We went to the budget hearing, we sat through the renaming fight on a Saturday, we wrote whole sections of the plan at night after work, we reviewed drafts in 48 hours because the Administrator wanted it by March. The plan is adopted and now it's "implementation updates" every two weeks and reviewing 42 department plans. When does it end? I still trust the people, especially the co-chairs and Kwame. But trust doesn't pay my electric bill and it doesn't give me my Tuesday nights back. Some of us are running on fumes and the county keeps asking for one more thing.
6 I felt ownership last year. This year I feel like unpaid staff.
7 Cut the meetings in half. Pay people for the hours between meetings. Or let us rest.
8 That burnout is real even in a group you love.

CS | Health | More than 10 | 4
5 The dashboard launch. We promised the story panels would be reviewed by the families before going up, and we kept that promise even when the Administrator's office wanted it live sooner. Keeping that promise built more trust than anything we said.
6 The data section of the plan. We co-wrote it and I can defend every line because I know where each one came from.
7 
8 Small numbers: combine years instead of suppressing. I've now applied it to two other reports.

FC | Equity | More than 10 | 4
5 Handing over the agenda to the co-chairs. My trust in the group went up when I wasn't in control of it anymore, which is a funny thing to admit.
6 I've had to let go of ownership. The best meetings this year were the ones I talked the least in.
7 Rotate the co-chairs on one-year terms and pay them monthly. And take the Office of Equity out of the middle of decisions that should be the group's.
8 Making the deadline visible instead of absorbing it. I say "we are behind, what do we cut" at almost every meeting now.
10 The evaluation should talk to people who left. Their absence is data.

CM | Partner | 3-5 | 4
5 I joined in March, so I missed the hard year. People were honest about what happened before I came, which helped me trust them.
6 Helping with the story panel for my street.
7 Buddy system for new people, it worked for me. Mine was Marcus.
8 The county has a budget calendar and you can get in it if you know when.

EO | Board | 6-10 | 4
5 The committee came to us before the renaming vote to ask what was realistic, and then it went back to its own members to decide. That's a trustworthy process. We didn't get our way on everything either.
6 When the Commissioner invited two community members to speak at the March work session instead of staff. That changed the room.
7 A standing quarterly briefing for Board offices would help. We still hear things late.
8 Real stories persuade Supervisors more than polished documents. I've changed how I brief my boss.

CM | Partner | More than 10 | 5
5 Tom. I'll just say his name. After June 2023 I didn't think I'd ever be in a room with him again. Now we work together every week. Trust isn't a feeling, it's a record, and his record is good now.
6 The public safety working group, start to finish. My nephew's story is in the academy training with his permission. That's ours.
7 Don't lose the pause. New members should learn it on day one.
8 I forgive slowly but I do forgive. I didn't know that.

CS | Budget | 6-10 | 4
5 It helped that we weren't blindsided this year. The co-chairs came to Budget in February, before the proposed budget, not after. Much better.
6 The protected stipend line survived a second budget year. I helped write the language in 2023 and defended it in 2024.
7 
8 Involve us early. We said it last year and it actually happened.

CM | Partner | 6-10 | 3
5 ok
6 when I co-wrote the parks part
7 saturday meetings were good, keep some
8 parks budget

CS | Library | More than 10 | 4
5 The library section went back to the whiteboard in the summer, like we asked. The director came. That's the moment I believed the committee could change how my own department works.
6 The evening hours at Eastside. They started in September. I see teenagers there at 8pm doing homework now.
7 Hybrid meetings have been great for staff who work evenings. Keep the hybrid option even if it's harder to facilitate.
8 Bring the director to the table. Don't just carry messages up.

CM | Partner | 3-5 | 2
5 The name change. "Equity and Belonging". They took "racial" out and we went along with it. I know the reasons. It still hurts.
6 
7 
8 Politics.

DL | HR | More than 10 | 3
5 People were patient with HR even when we missed our own deadline on the workforce section. I'm not sure we deserved that patience.
6 Changing the rule so hourly employees can attend on paid time. We have three hourly members now and they've changed the conversation.
7 Hold departments accountable publicly - including mine. A tracker with names of departments and status.
8 The workforce section is the weakest part of the plan and it's HR's fault. I'm owning that going into 2025.

CM | Partner | More than 10 | 4
5 Co-chairs from the community. It's a different room when people like us set the agenda.
6 I'm a co-chair now. So, a lot. Maybe too much. Twenty hours a month and paid for two meetings.
7 Pay co-chairs monthly like a part-time job, and rotate so it doesn't burn one person out.
8 That I'm a leader. Nobody called me that before.

CS | Parks | More than 10 | 4
5 Marcus keeps asking me about the pool. Every meeting. And I keep answering. That's the relationship.
6 Both pools open until 8pm since June. It's in the plan and it's in my budget.
7 Try Saturday mornings some months, we had more families at the Saturday ones.
8 I didn't know my own parks. I know them better now.
10 I'd like more Parks staff on the committee, especially maintenance crews.

CM | Partner | 1-2 | 3
5 Too new to say.
6 
7 Meetings are long, I left early both times
8 

FC | Partner | 6-10 | 4
5 I came in this year to facilitate working groups after Brightline's contract ended. The group trusted me faster because Kwame introduced me and vouched for me. Trust transfers through relationships.
6 Not mine to own. The working groups own their sections.
7 Less plenary, more working group time. The plenary has become a series of report-outs.
8 How much the repair protocol shapes this group. I've never seen a group with such clear norms about harm.

CM | Partner | More than 10 | 3
5 Better than last year with the county folks. Worse with the Administrator since the six-month report. He wanted green checkmarks. We gave him honest yellows and reds and his office asked us to "soften the framing."
6 Writing the honest progress report. Red where it was red.
7 Don't soften anything. If departments didn't do it, say so.
8 Accountability makes people nervous, even people who say they want it.

CS | Health | 3-5 | 3
5 Trust is decent. I'm newer this year, replacing a colleague who left. The group was welcoming but I'm still catching up on the history everyone references ("June", "the pillars", "spite and hope").
6 
7 A one-page history of the committee for new members would help a lot.
8 Context matters. Everything makes more sense once you know about the June meeting.

CM | Partner | More than 10 | 4
5 We fought a lot this year and nobody left angry. That's trust.
6 The Saturday vote. We made the compromise ourselves, we didn't take the Board's version.
7 Shorter meetings and use the text chain for updates
8 Compromise isn't surrender if you write the terms.

CM | Partner | 6-10 | 4
5 I trust the group now. Last year I didn't fill this out because I didn't trust it at all lol
6 When the dashboard went live and our neighborhood was on it. Separately. Not averaged away.
7 
8 We exist in the data now.

DL | Sheriff | 6-10 | 3
5 Moderate trust. People are fair to the department now, mostly. Some members still see every deputy as the June comment, which I understand but it's a barrier.
6 The academy curriculum change is partly mine.
7 More focus on implementation. The talking phase is over.
8 Our data has more holes than we admitted and fixing them is an equity issue.

CM | Partner | More than 10 | 3
5 Hmm. Trust in the people: high. Trust in the process: medium. Trust in the Board: low. Trust in the Administrator: ask me next year.
6 Co-writing the youth section on the whiteboard, again. We got the youth advisory seat on the Parks board because of it.
7 Youth should have a co-chair seat.
8 How to get a seat at a table that doesn't want to give you one.

CS | Housing | 6-10 | 4
5 Consistency from the co-chairs. Same faces, same follow-through, all year.
6 Supporting the tenant navigator hiring - the committee was on the interview panel. Two community members helped choose who got hired.
7 Please put implementation updates in writing, 1 page per department, instead of presentations.
8 Community members on hiring panels change who gets hired.

CM | Partner | 3-5 | 2
5 It's a clique now. The people who were there in 2023 all know each other and have inside jokes. If you came this year you're outside.
6 
7 Do real onboarding. Mix people up in small groups. Don't let the old-timers sit together every time.
8 

CM | Partner | More than 10 | 5 | ES
5 Siempre hay alguien que te llama si faltas. Somebody always calls when you miss. That's family, not a committee.
6 Todo el año. All year. I'm on the library group and the parks group now.
7 Keep the Spanish interpretation for everyone, and please add Vietnamese at the big meetings too, Bao can't do it every time.
8 Confianza en mí misma. Confidence in myself.

FC | Equity | More than 10 | 4
5 The co-chairs came to me before the renaming decision to ask what I knew, and then took it to the group. The way information moves in this group is healthier now.
6 Handing over. Ownership for me this year meant stepping out of the middle.
7 Monthly plenary, working groups in between, and one reflection circle a quarter. Let go of the every-two-weeks schedule.
8 Let go of being the convener. Be convened.

CM | Partner | 6-10 | 1
5 Nothing. The title says everything. They took out "racial" and we let them. I'm done.
6 
7 
8 
10 I won't be doing this survey next year.

CS | Public Works | 6-10 | 4
5 The scoring pilot results. When Eastside sidewalks started ranking high, community members trusted that the change was real. Data plus follow-through.
6 Implementing the pilot. It's my day-to-day now.
7 Invite crews and field staff. We talk about sidewalks without the people who pour them.
8 A small weighting change can move a lot of money.

CM | Partner | More than 10 | 4
5 People remember. When my mom was sick in April, the group sent food. When I came back nobody made me catch up alone.
6 The story panel about our building. The tenants wrote it. I typed it.
7 Childcare every time. The Saturday one had childcare and 12 more people came. Twelve!
8 How to get my neighbors' complaints into the data so they count.

EO | Board | 3-5 | 3
5 I'm new to the Commissioner's office this year. The committee has been generous with me, given how late I came in.
6 
7 
8 The Board-committee relationship needs a structure, not just personal relationships with staff like Jasmine.

CM | Partner | 6-10 | 3
5 Good with the people, tired of the meetings 😮‍💨
6 The compromise on the name.
7 less meetings!!!
8 

CS | Health | More than 10 | 5
5 I started as "the badge" and ended as Priya. It took about a year. Worth it.
6 The story panels. Three more organizations wrote one this year.
7 
8 Rules that look neutral can erase people. I check every suppression decision now.

DL | Library | 3-5 | 4
5 The branch manager who represented us (Wen) built trust that I benefited from when I finally came to the table this summer. I came late. They let me in.
6 The revised library section. I was in the room this time instead of editing from my office.
7 Directors should attend at least quarterly. I see that now.
8 Sending a delegate with no authority makes everyone's work harder.

CM | Partner | More than 10 | 4
5 I trust the co-chairs because they are us. Rosa cleans the Administration Building at night. Now she sits at the table in the daytime. If that doesn't make you trust the process nothing will.
6 When we planned the Saturday meeting ourselves. No county staff in the planning.
7 Rotate co-chairs next year like Rosa said, and mentor the new ones.
8 Leadership doesn't need a title. But the title helps get paid. 😂

CS | HR | 6-10 | 3
5 I've been on the committee as an hourly employee since the rule changed in February. People listen. Some department heads still look surprised when I talk.
6 Adding the custodial staff perspective to the workforce section.
7 Evening meetings on paid time works. Don't go back.
8 That the people who clean the building have opinions about how it's run, and they're good ones.

CM | Partner | 3-5 | 3
5 Sometimes. I like the circles.
6 
7 Maybe have the meeting notes in plain language? They're long.
8 

CM | Partner | More than 10 | 4
5 Honest conversation after the progress report. The co-chairs said, publicly, which departments didn't report. Including the Sheriff's Office and HR. Nobody got protected.
6 Reviewing the department implementation plans. I read all 42. I have opinions about all 42. 😅
7 Please make tracking implementation someone's paid job. I can't keep doing it as a volunteer.
8 Spreadsheets. I'm a spreadsheet person now. Karen Duffy's color coding at the Budget Office is beautiful.

DL | Health | 6-10 | 4
5 Coming myself instead of sending a delegate. People noticed that I came.
6 The Public Health commitments in the plan are the first equity commitments in our strategic plan that have community co-authors.
7 
8 I should have come in 2023.

CM | Partner | 6-10 | 4
5 The repair process, even though I wasn't part of the original harm, I watched it work over a year and a half. That's rare.
6 
7 The pace is the problem. Everything else is good.
8 Repair is a long process, not a single meeting.

CS | Sheriff | 3-5 | 3
5 Colleagues in the department are skeptical of the committee. The committee is skeptical of us. I'm somewhere in the middle trying to translate.
6 Helping build the data sharing agreement for the dashboard.
7 It would help to have a session about the Sheriff's Office budget and staffing constraints. People assume we can change things faster than we can.
8 How other departments handle community data.

CM | Partner | More than 10 | 4
5 This year trust came from seeing things actually happen. Navigators hired. Pools open late. Sidewalks on Alder Street in the pilot. It's easy to trust when you can walk on it.
6 Every time I walk down Alder Street.
7 
8 Keep pushing. Things move if you keep pushing, even in government.

CM | Partner | 6-10 | 3
5 Mixed. Good group, but I worry that the county is now using us as proof it's doing equity. Our faces are in the annual report.
6 
7 Ask before putting our photos in county publications.
8 Being included can also be a way of being used.

FC | Partner | 3-5 | 3
5 As an outside facilitator I noticed the group's norms are strong but unwritten for newcomers. Trust is high among veterans, lower for new people.
6 
7 Write down the norms and history. Run a newcomer circle each quarter.
8 

CM | Partner | More than 10 | 4
5 The way the group handled the renaming. It would have been easy for the Office of Equity to decide in the hallway. They brought it to us. Forty of us argued it out on a Saturday.
6 The first sentence of the policy. "The County leads with race because..." I helped write that sentence.
7 Keep the Saturday option.
8 That one sentence can carry a lot of weight.

CS | Health | 6-10 | 4
5 Honestly the data team's relationship with the community partners is the best it's ever been. They call us now with questions, we call them.
6 The dashboard launch in April. Late compared to what the Administrator wanted, but right.
7 
8 Launch late and right beats launch on time and wrong.

CM | Partner | 6-10 | 3
5 Some trust. I've been burned before. This group hasn't burned me yet.
6 Wrote part of the transit section with my neighbor.
7 Stop scheduling things the week of Thanksgiving and the week before Christmas 🙏
8 The transit budget is mostly state money. Didn't know that.

DL | Budget | 3-5 | 3
5 Better than last year. The co-chairs came to us early. It's still hard to be the office that says "no money."
6 
7 Invite Budget to a circle, not just to present. We're people too, we'd like to reflect.
8 Early involvement works. We're doing it with two other advisory groups now.

CM | Partner | More than 10 | 4
5 Being a co-chair taught me that trust is work. I'm on the phone at 11pm with members who are upset. That's the job nobody sees.
6 All of it and also none of it, it belongs to everyone. I'm just holding it this year.
7 Term limits for co-chairs and a stipend that's monthly, not per meeting. And mentoring for new co-chairs.
8 Power comes with phone calls at 11pm.

CM | Partner | 1-2 | 
5 
6 
7 
8 
10 Just came to one meeting for the dashboard launch. Looked nice.

CS | Library | 6-10 | 4
5 The library group has three teenagers in it now. They trust us because we gave them the whiteboard markers, literally. They run the session.
6 The teen advisory council that came out of the library section.
7 Youth seat on the committee.
8 Teens will show up if the thing is actually theirs.

CM | Partner | 6-10 | 2
5 I was part of the budget fight in 2023 and the renaming in 2024. Every year there's a fight and we win half. I'm tired of winning half.
6 
7 Stop making us fight for things that were promised.
8 The county negotiates with community the way it negotiates with unions. Give a little, take a little. We're not a union.

CS | Public Works | 1-2 | 3
5 Not enough time on the committee to say. It seems well run.
6 
7 
8 

CM | Partner | More than 10 | 5
5 Because I've seen every hard thing handled honestly. June. The budget. The name. The progress report. Nobody pretended.
6 The Pause and Repair protocol is now part of our tenants union meetings too. We stole it. 😊
7 Nothing big. Keep the circles.
8 How to repair harm in a meeting without ending the relationship.

CS | Parks | 3-5 | 4
5 The group is easier to trust when you see results. Parks has some results now.
6 
7 Could Parks host a meeting in a park in summer? Eastside Park has a covered area.
8 

CM | Partner | 6-10 | 3
5 Trust is better. Time is worse. Everyone is running on fumes since the plan got adopted.
6 The housing section. I'm proud of it. It sounds like Eastside.
7 Take a break in December and January. Restart in February with a smaller schedule.
8 We need rest to keep going.

EO | Board | More than 10 | 4
5 Two years of consistent relationships with the co-chairs. When I say a vote count, they believe me because I've never shaded one.
6 The four-to-one adoption vote. We counted those votes for two months.
7 Keep the elected offices informed early, especially on anything controversial. Surprises kill things at the Board.
8 Compromise language can protect content. The first-sentence strategy worked.

CM | Partner | 3-5 | 3
5 talking in the small groups
6 
7 more interpretation, more childcare, less slides
8 

CS | Housing | More than 10 | 4
5 The group didn't abandon us when our department dragged its feet on the rental inspection piece. They pushed hard, and kept working with us.
6 The navigator program. I supervise it now.
7 Let implementation teams present problems, not just progress. We learn more from the problems.
8 Navigators who come from the neighborhood get trusted faster than any county staff.

CM | Partner | More than 10 | 4
5 Dana kept her word. As she said, "watch what I do in the budget, not what I say in the meeting." We watched. She did it.
6 Seeing stipends go to $100 and direct deposit. We fought for that.
7 
8 Watch the budget, not the speech.

CM | Partner | 6-10 | 4
5 Relationships. Marcus texts me about the Seahawks and the sidewalk pilot in the same message.
6 When my block ranked in the top ten for sidewalks.
7 Fine as is, maybe shorter.
8 
10 Keep the food from Casa, the tamales are the best part of the meeting.

CS | Health | 3-5 | 3
5 I think the staff-community trust is strong among the original members and weaker for staff who rotate in. I'm one of those.
6 
7 Pair new staff with a community mentor.
8 

FC | Equity | 6-10 | 4
5 I'm the new program coordinator in the Office of Equity (started February). The group has strong norms and they were shared with me early. That built trust fast.
6 Organizing the progress report data with Marcus. We built the tracker together.
7 Make the tracker public on the dashboard so accountability isn't one volunteer's job.
8 Community members are better auditors than we are.

CM | Partner | More than 10 | 4
5 After a whole year of working together, I trust the Sheriff's rep more than I ever expected to trust anyone from that department. Not the department. Him.
6 Academy curriculum with the story panels.
7 
8 Change happens one person at a time, and then one rule at a time.

CM | Partner | 6-10 | 4 | VI
5 Cô Fatima và anh Bao luôn giúp chúng tôi. (Fatima and Bao always help us.) Vietnamese interpretation at the big meetings this year made my mother come every month.
6 The story panel about our building, in Vietnamese and English.
7 Vietnamese at every meeting, not only the big ones.
8 Mẹ tôi có tiếng nói. My mother has a voice.

CS | Budget | More than 10 | 4
5 I'm no longer "the budget person who brought the cut." I'm just a member. That took a year and a half.
6 The color-coded progress tracker got adopted. Somebody called it beautiful, which is a first for a Budget Office spreadsheet.
7 Link the tracker to the budget book so people can see the money next to the commitment.
8 Transparency reduces conflict. Not all of it. A lot.

CM | Partner | More than 10 | 3
5 @Kwame and @Maria made it feel safe. The co-chairs made it feel like ours. Those are different things and we needed both.
6 When we picked who would co-chair next year. We used a process we designed.
7 Co-chair elections should include a mentoring period of 3 months.
8 Safety and ownership aren't the same thing.

CM | Partner | 3-5 | 4
5 My first year. People welcomed me, Marcus was my buddy and he explained everything, even what "June" meant.
6 
7 History page for new people. What happened in 2023 matters.
8 The county has a racial equity plan. I didn't know that before I came.

DL | Housing | 6-10 | 3
5 Trust between departments has actually improved. Public Works and Housing coordinate on Eastside now, partly because of relationships from the committee.
6 
7 Drop the plenary updates. Make working groups the main structure.
8 Cross-department relationships are an outcome nobody measures.

CM | Partner | More than 10 | 2
5 I trusted it a lot last year. This year less. The Administrator's office asking us to "soften the framing" of the progress report made it clear where the limits are.
6 Last year. This year it's the county's plan, we're the auditors.
7 Protect the committee's independence. The report should be ours to write.
8 Adoption doesn't mean the fight is over. It means it moved.

CS | Health | 6-10 | 4
5 When the Administrator wanted the dashboard live early and the working group said no, and our director backed the working group. That told me the group's decisions hold.
6 Building the story panel review process. Families approve before anything goes up.
7 
8 "Who is this for" is now the first line of our project intake form. It came from the committee.

CM | Partner | 6-10 | 3
5 - the circles
6 - the Saturday vote
7 - monthly not biweekly
8 - that I can disagree with people I love

CM | Partner | More than 10 | 4
5 Text me if you want a longer version, (360) 555-0198. The short version: I trust this group because it survived June. Most groups don't survive something like that.
6 The repair protocol. I was in the August circle.
7 Teach the protocol to every new member.
8 Groups can survive harm if they stop and deal with it.

FC | Partner | More than 10 | 4
5 I ended my contract in April and I'm filling this out as a former consultant, if that's allowed. Trust came from me changing how I worked, not from my expertise. It took me too long to see that.
6 The data working group. That one was truly built together.
7 Don't hire a consultant to write the next plan. The committee can write it.
8 Bring questions, not templates. Let the people who live with the results choose.

CM | Partner | 3-5 | 3
5 i like the people
6 
7 shorter
8 

DL | Parks | 6-10 | 4
5 The group's follow-through on the pool hours. Marcus asked, I answered, the committee pushed, the Board funded. Trust built on a completed loop.
6 Pools open to 8pm at both sites. First summer, attendance at Eastside up a lot.
7 Meet in parks in summer.
8 Look at how fundraising shapes service. It's everywhere, not just pools.

CM | Partner | More than 10 | 4
5 Two years of the same people showing up, including county people who could have stopped coming when the plan passed. Priya still comes. Tom still comes. Angela still comes.
6 Interviewing the navigator candidates. I got to choose who helps my neighbors.
7 Keep paying stipends on time by direct deposit. It was a big deal when that changed.
8 How hiring works in the county. It's slow but you can be part of it.

CS | Sheriff | 1-2 | 2
5 I was sent to replace a colleague for two meetings. People were polite but I could feel the history with my department.
6 
7 
8 

CM | Partner | 6-10 | 5 | VI
5 Hiện tại tôi tin tưởng nhóm này. (I trust this group now.) Because of the dashboard, our neighborhood is counted.
6 When I saw my mom's building on the dashboard with our own story next to it.
7 
8 Numbers can protect people if the people write the story next to the numbers.

CM | Partner | More than 10 | 3
5 Still good with the people. But the county's excitement is gone now the plan passed. Fewer directors come. It feels like they checked the box.
6 
7 Ask the Administrator to require directors to attend quarterly. Put it in their performance measures like the commitments.
8 Attention moves on fast in government.

CS | HR | 3-5 | 3
5 HR missed its deadline on the workforce section, and the committee called it out in the progress report. Fair. It actually helped me push internally.
6 
7 Keep the public accountability. It gives staff inside departments leverage.
8 Public pressure can be a gift to people inside.

CM | Partner | More than 10 | 4
5 The pause. I called one this year, about a joke someone made about immigrants in a working group. It worked. We stopped, talked, he apologized, we moved on. Nobody made it weird.
6 When the pause I called worked exactly how we designed it.
7 
8 The protocol works for small harms too, not just big ones.

CM | Partner | 6-10 | 3
5 +1 to everything people said about the co-chairs. They changed the room.
6 
7 +1 to monthly meetings.
8 Governments can learn, slowly.

EO | Board | 3-5 | 4
5 The committee didn't treat the Commissioner's office as an enemy when we brought bad news about the vote count.
6 
7 A shared calendar of Board deadlines that the committee can see.
8 

CM | Partner | More than 10 | 4
5 Having the Somali Parents Association as a real partner, not an invited guest. We wrote a story panel and we review the data before it goes public.
6 The suppression change. Small numbers combined over three years instead of hidden. We asked for that in 2023.
7 Somali interpretation at the big meetings. Meetings not during prayer times.
8 Mahadsanid for listening. Persistence works.

CS | Library | 3-5 | 4
5 The teens trust us, so I trust the process.
6 
7 
8 Ask young people what they need in a space. Then believe them.

CM | Partner | 6-10 | 2
5 I'm tired of being surveyed. Third survey this year. Use what we already told you.
6 
7 Fewer surveys.
8

CS | Public Works | 6-10 | 4
5 Working next to community members on the scoring pilot review panel. They asked better questions than our engineers about why some segments ranked where they did.
6 The pilot report. Community co-reviewers are listed as authors.
7 
8 Put residents on technical review panels. It makes the work better, not slower.

CM | Partner | More than 10 | 4
5 I've been here from the first circle. I said "watching" that night. Two years later I'm still watching, but I'm watching with friends now.
6 The housing section and the navigators. Angela kept every promise she made in the room.
7 Fewer meetings. Better meetings. We know how to do better meetings now.
8 That the county is people, and some people do right.

CM | Partner | 6-10 | 3
5 Trust is fine. Time is the issue. I can't do two evenings a week anymore, I got a second job.
6 
7 Let people participate in small ways. Not everyone can be on a working group. Could we review drafts online?
8 

DL | Health | More than 10 | 4
5 Being asked, directly, to attend instead of sending a delegate. The co-chairs were right.
6 Signing off on the suppression change and then defending it to the state.
7 Less frequent, more decision-focused. The plan is adopted, the group should shift into an oversight role.
8 Decisions are better when the people affected help make them. I knew that in theory.

CM | Partner | More than 10 | 5
5 Honestly the thing that helped most was that nobody left after June. Not Luz, not Tom, not Maria. If any of them had left this would be over.
6 Co-chairing. Agenda planning on Sunday afternoons with Samira and Denise. Tamales, laptops and arguments.
7 Rotate. Mentor. Pay monthly. I've said it everywhere.
8 Yo también puedo dirigir. I can lead too.

CM | Partner | 3-5 | 3
5 Getting to know people at the Saturday meeting. More relaxed than Tuesday nights.
6 
7 Saturdays with childcare.
8 

CS | Health | 6-10 | 3
5 Staff in my division are burnt out from the plan deadlines on top of regular work. Trust in the group is fine. Trust that leadership will resource implementation is low.
6 
7 Be realistic about staff capacity. Implementation is on top of full-time jobs.
8 Equity work needs dedicated FTEs, not just good intentions.

CM | Partner | More than 10 | 4
5 The group took my idea about the bus stop benches seriously two years ago, and in September there were benches. I sat on one.
6 Sitting on the bench. 😊
7 
8 Small asks get done. Big asks take years. Keep asking both.

FC | Equity | More than 10 | 4
5 Seeing the group hold my office accountable in the progress report. It stung. It was right.
6 I own the mistakes of my office more than the successes of the plan. The successes belong to the committee.
7 Transition plan for new co-chairs by January. Publish the norms and the history.
8 Accountability is a relationship, not a report.

CM | Partner | 6-10 | 4
5 Consistency.
6 The dashboard.
7 Monthly.
8 Data.

CM | Partner | More than 10 | 3
5 I trust the group. I'm worried about what happens if the Board changes after the 2026 election. Two of the four yes votes are up.
6 
7 Start building relationships with candidates now, as residents.
8 Plans are only as durable as the politics around them.

CS | Sheriff | More than 10 | 4
5 Honestly, it helped that the community members held me accountable in public and supported me in private. Both.
6 The stop data section and the academy training change.
7 Don't let the working groups fade now that the plan is adopted. Implementation is where they matter.
8 My own department changes when outsiders ask precise questions.

CM | Partner | 6-10 | 3
5 trust grew but I am tierd. this year was alot
6 the name fight, we lost the name but got the words inside
7 give us a break!!! then come back strong
8 you can lose and win at the same time

DL | Library | 6-10 | 4
5 Sitting at the whiteboard with teenagers and community members as the director, not just signing off. I trust the process now because I was in it.
6 Extended Eastside hours and the teen advisory council.
7 
8 Directors need to be in the room. No more delegating this.

CM | Partner | 1-2 | 3
5 
6 
7 Meetings at a better time for shift workers please
8 

CM | Partner | More than 10 | 4
5 Kwame. Always Kwame. He held the circles for two years. And Maria changing how she facilitates, you could see her learning in real time.
6 The circles are ours. The plan is ours. The policy is mostly ours except the title.
7 Keep the quarterly circles even when everyone's busy. Especially then.
8 How to sit with something hard without fixing it right away.

CS | Housing | 3-5 | 4
5 I'm one of the tenant navigators. I came from Eastside, I grew up on Alder Street. People in the committee trusted me before I was hired, I think that's why it works.
6 The navigator job exists because the committee wrote it. I'm literally living the plan.
7 Invite navigators to share what we hear from tenants every quarter.
8 The county can hire from the neighborhood when it wants to.

CM | Partner | 6-10 | 2
5 I feel like decisions are made by the co-chairs and the Office of Equity now, and the rest of us just vote at the end. The power moved, but it didn't spread.
6 
7 More members in agenda planning, not only the three co-chairs. Open planning meetings.
8 Power can concentrate in a community group too.

EO | Board | 6-10 | 4
5 The community members who spoke at the March work session were more persuasive than any staff report. My boss still quotes the "heat and rent" line.
6 
7 Invite us to the circles. Just to listen, as someone suggested last year.
8 

CM | Partner | More than 10 | 4
5 It helped that people were honest about being tired. Everybody, staff too. We stopped pretending.
6 When we adapted the schedule in the summer - working groups on Zoom, plenary in person, Saturdays sometimes. We redesigned it ourselves.
7 Keep adapting. What worked in 2023 doesn't have to be what we do in 2025.
8 A group can change its own structure when it stops working.

CS | Parks | 6-10 | 3
5 Trust is good. The expectation that staff keep attending evening meetings on top of everything is hard.
6 
7 Allow staff to alternate with a colleague so one person doesn't carry it.
8 

CM | Partner | More than 10 | 5
5 Two years. Friends for life. I mean it. ❤️
6 All of it, the good and the bad parts.
7 Don't change the circles. Change everything else if you have to.
8 That belonging is something people build on purpose.

CM | Partner | 3-5 | 3
5 I felt safe enough to disagree with a co-chair in a meeting this fall. Nobody punished me for it.
6 
7 Make it normal to disagree with leadership, including community leadership.
8 Safe doesn't mean everyone agrees.
"""

# Community partner survey, June 2024: role | organization; keys a, b, c are the three questions.
GOOGLE_FORMS = """
Executive director | Casa de la Comunidad
a We went from being the group the Harbor County Office of Equity calls when they need a translator to being a co-author of the housing section. That's a real change. We also got paid for interpretation for the first time, at the same rate as the county's contractor.
b Pay partners on time. The first invoice took 71 days. A small nonprofit can't float that.
c Thank you to Kwame and Maria. And to Rosa, who is ours.

Community organizer | Eastside Tenants Union
a More access, more meetings, more work. The relationship is better. It's also heavier. We have two staff and the county has two thousand.
b Fund a partner coordinator position at each organization that carries a big share of the engagement. Stipends for individuals don't cover the organizational time.
c 

Staff | Harbor Youth Collective
a Our youth finally get invited into rooms that used to be closed. The library section and the teen advisory council came out of it.
b Schedule things after school, not at 3pm.
c The teens want to present at the Board. Please make it happen.

Volunteer | St. Brendan's Food Pantry
a Honestly not much. We were asked for a letter of support and then didn't hear anything.
b Tell us what happened with our input.
c 

Executive director | Somali Parents Association
a The dashboard work was the first time the county asked how our families want to be counted. Before that we were always "other" or suppressed.
b Interpretation in Somali at the big meetings, and meeting times that respect prayer and Ramadan.
c Mahadsanid. We will keep coming.

Board member | Harbor Immigrant Rights Coalition
a Cautiously positive. The county listened on language access. It has not listened on the Sheriff's cooperation with immigration holds, which was kept out of the plan.
b Put the hard issues in the plan even if they can't be solved this year. Leaving them out is a decision too.
c The committee is good. The county is still the county.

Staff | Casa de la Comunidad
a Más confianza entre nosotros y el condado. More trust. We call Priya at Public Health directly now.
b Pagar a tiempo.
c 

Community organizer | Harbor Mutual Aid Network
a It's complicated. Some of our members think working with the county co-opts us. Others think we'd be foolish not to be at the table. We sent two people and kept our independence.
b Respect that some groups want to partner on some things and not others.
c We will keep doing mutual aid whether the plan works or not.

Executive director | Port Ellis Black Business Alliance
a We came in late, in 2024, for the economic development section. It was still written in consultant language. We rewrote half of it in two meetings.
b Bring us in at the start, not when a section is "weak".
c "Leverage cross-sector partnerships" is gone from the plan. You're welcome.

Staff | Eastside Tenants Union
a The navigators are a direct result. They refer tenants to us and we refer to them. It works.
b 
c 

Volunteer | Harbor Youth Collective
a we got pizza and a say in the library hours lol
b more youth spots
c teens are not a focus group, we are people

Staff | Somali Parents Association
a Our families review the story panel before it goes on the dashboard. That never happened before, anywhere.
b Fund the review meetings. Families give hours. Give them a stipend like committee members.
c 

Executive director | Harbor Immigrant Rights Coalition
a Relationships with specific staff are strong. Institutional commitments are weaker.
b Written data-sharing agreements that protect immigrant families' information from enforcement.
c Please email me directly about the data agreement: director@harborirc.example.org

Community organizer | Casa de la Comunidad
a We organized 23 people for the budget hearing in 2023. The county now calls that "community engagement" in its report. We call it organizing.
b Don't claim our organizing as your engagement.
c 

Board member | Eastside Tenants Union
a Better than I expected, worse than I hoped.
b Multi-year funding for partners instead of one-year grants.
c 

Staff | Harbor Mutual Aid Network
a The committee helped us get the county to stop requiring IDs at the Eastside warming center. Small policy, huge effect in winter.
b Listen to the people at the door, not just the directors.
c 

Executive director | St. Brendan's Food Pantry
a We joined the food access working group in 2024. Better experience than our first contact. They actually sent notes.
b Same as everyone: pay partners quickly.
c 

Volunteer | Casa de la Comunidad
a Ahora la gente del condado nos saluda por nombre. County people greet us by name now.
b 
c 

Staff | Port Ellis Black Business Alliance
a We got a seat on the small business grant review panel. It's a start.
b Make the grant application shorter. Twenty pages for $5,000 is a barrier.
c 

Community organizer | Harbor Youth Collective
a Youth co-wrote the library section and helped choose the Eastside evening hours. They show up now because it matters.
b A youth co-chair on the Steering Committee.
c 

Executive director | Eastside Tenants Union
a Two years in, I'd say the county knows our members by name, and our members know which county office to call. That's worth more than the plan document.
b Keep the stipends and the childcare. Don't let them get cut when attention moves on.
c Jerome says hi.

Staff | Harbor Immigrant Rights Coalition
a Mixed. Language access improved a lot. Trust with the Sheriff's Office has not.
b 
c 

Board member | Somali Parents Association
a Our children see their community on the county website now. That matters.
b More Somali staff in county departments.
c 

Volunteer | Harbor Mutual Aid Network
a -
b -
c -

Staff | St. Brendan's Food Pantry
a We learned how the county budget works from the Budget 101 workshop. Now we apply for the right grants at the right time.
b 
c The workshop was great, please do it again.

Executive director | Harbor Youth Collective
a From invisible to invited. Next step is from invited to deciding.
b Give youth a vote, not just a voice.
c 

Community organizer | Port Ellis Black Business Alliance
a I wasn't sure the committee would welcome business owners. It did. The economic development section now has real commitments on county contracting with Black-owned businesses.
b Track contracting dollars by race of owner on the dashboard.
c 

Staff | Casa de la Comunidad
a We're tired. It's good work but the county keeps asking for more meetings.
b Fewer meetings, more money.
c
"""

# Budget 101 workshop feedback, February 2024: rating | parts attended (B, R, P); keys m, c, x.
SURVEYMONKEY = """
Excellent | BRP
m Seeing the actual budget book and where to find the department pages. Page 214!
c More time for questions. We ran out.
x Why some money is "restricted" and can't be moved.

Very good | BR
m The calendar. I finally get when to show up.
c Have it in Spanish too.
x Fund balance.

Excellent | BRP
m Practicing public comment out loud with a timer. I was so nervous at the hearing last year. This would have helped.
c Nothing, it was great
x 

Good | B
m Knowing the Board decides in June.
c Start on time, we lost 15 minutes.
x All of it honestly, it's a lot for one night

Excellent | BRP
m Karen from the Budget Office explaining things without talking down to us. She said "ask anything" and meant it.
c Do a second session just on the Sheriff's budget, that's where the money is.
x How overtime is budgeted.

Very good | RP
m Learning that my comment can be 2 minutes and still matter if it's specific.
c Snacks for people coming from work.
x 

Fair | B
m The handout.
c It was too fast for someone new. I felt lost.
x Basically what a "line item" is vs a "program".

Excellent | BRP
m Doing it with people from my building. We can go to the hearing together now.
c Bring it to the neighborhoods, not downtown.
x Where the equity fund money actually sits in the budget.

Very good | BR
m Learned the difference between the Administrator's proposal and the Board's adopted budget. That's power.
c 
x Capital vs operating.

Good | P
m Public comment practice.
c More practice, less lecture.
x 

Excellent | BRP
m Que el presupuesto es un documento público y lo podemos leer. The budget is public and we can read it.
c Más talleres en español.
x Los fondos estatales.

Very good | BRP
m I work for a nonprofit and I finally understand when to apply for county grants.
c Send slides before.
x The grant cycle vs the budget cycle.

Excellent | BR
m Luz and Jerome co-teaching with the budget staff. Felt like our workshop, not the county's.
c Record it for people who couldn't come.
x 

Poor | B
m 
c The room was too hot and the microphone didn't work. Couldn't hear half of it.
x Everything because I couldn't hear.

Very good | BRP
m The exercise where we found our own neighborhood in the capital plan.
c More exercises like that.
x Why Eastside projects keep getting pushed to "future years".

Excellent | RP
m Realizing I can email the Board before the hearing and it goes in the record.
c 
x 

Good | BR
m Calendar
c shorter
x reserves

Very good | BRP
m "Who will this cut land on?" - the Budget Office person said she asks that now. I'm going to ask it at my job too.
c Invite department heads to listen.
x 

Excellent | BRP
m Confidence. I'm going to testify this June.
c Childcare please, I had to leave early.
x 

Very good | BR
m The ugly spreadsheet. More real than the charts.
c 
x Depreciation??

Excellent | BRP
m Understanding that the budget is a statement of values. Where the money goes is what the county actually believes.
c Do it every year before the budget season.
x 

Good | R
m Page numbers for each department.
c A glossary handout.
x FTE, CIP, GF... so many acronyms.

Very good | BP
m Meeting other tenants who want to testify.
c 
x How to follow up after the hearing.

Excellent | BRP
m 🙌 all of it. Best county thing I've been to.
c More of these.
x
"""


ROLES = {"CM": "Community member", "CS": "County staff", "DL": "Department lead",
         "FC": "Facilitator/consultant", "EO": "Elected office staff"}
DEPARTMENTS = {"Partner": "Community partner", "HR": "Human Resources", "Budget": "Budget Office",
               "Board": "Board of Supervisors", "Equity": "Office of Equity"}
TRUST = {"1": "Not at all", "2": "A little", "3": "Somewhat", "4": "Quite a bit", "5": "Completely"}
QUESTIONS = {
    "Q1": ("This survey is part of the Tidewater Evaluation Collaborative's evaluation of the Harbor County "
           "Racial Equity Steering Committee. Answers are confidential and reported without names. "
           "Do you agree to participate?"),
    "Q2": "Which best describes your role on the Steering Committee or its working groups?",
    "Q3": "Which department or organization are you with?",
    "Q4": "About how many committee or working-group meetings have you attended in the past 12 months?",
    "Q5": "What has helped you trust this group (or made trust harder)?",
    "Q6": "Describe a moment when you felt ownership of the action plan, or when you did not.",
    "Q7": "What should the committee change about how meetings are facilitated?",
    "Q8": "What did you learn that you will take back to your work or your community?",
    "Q9": "How much do you trust the other members of this committee right now?",
    "Q10": "Is there anything else you would like the evaluation team to know?",
}
OPEN_ENDED = {"5": "Q5", "6": "Q6", "7": "Q7", "8": "Q8", "10": "Q10"}
META = [  # Qualtrics export columns: (id, question-text row, ImportId)
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "America/Los_Angeles"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "America/Los_Angeles"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "America/Los_Angeles"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]


def parse_blocks(text: str) -> list[tuple[list[str], dict[str, str]]]:
    """Split a data block into respondents: a ``a | b | c`` header line, then ``key answer`` lines."""
    out = []
    for block in text.strip().split("\n\n"):
        head, *lines = block.strip("\n").split("\n")
        answers = {}
        for line in lines:
            key, _, answer = line.partition(" ")
            answers[key] = answer.strip().replace(" ¶ ", "\n")
        out.append(([f.strip() for f in head.split("|")], answers))
    return out


def response_id(rng: random.Random) -> str:
    """A Qualtrics-style response id (``R_`` + 15 alphanumerics)."""
    return "R_" + "".join(rng.choices(string.ascii_letters + string.digits, k=15))


def write_qualtrics(data: str, wave: str, start: dt.datetime, days: int, path: Path, seed: int) -> int:
    """Write one wave in Qualtrics CSV layout (ids, question texts, ImportId JSON), UTF-8 with BOM."""
    rng = random.Random(seed)
    respondents = parse_blocks(data)
    rng.shuffle(respondents)
    starts = sorted(start + dt.timedelta(days=rng.randrange(days), seconds=rng.randint(0, 14 * 3600))
                    for _ in respondents)  # daytime and evening, from 8:00
    ids = [c[0] for c in META] + list(QUESTIONS) + ["Wave"]
    texts = [c[1] for c in META] + list(QUESTIONS.values()) + ["Wave"]
    imports = [c[2] for c in META] + [{"ImportId": f"QID{q[1:]}_TEXT" if q in OPEN_ENDED.values()
                                       else f"QID{q[1:]}"} for q in QUESTIONS] + [{"ImportId": "Wave"}]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerows([ids, texts, [json.dumps(i, separators=(",", ":")) for i in imports]])
        for (head, answers), begin in zip(respondents, starts):
            role, dept, meetings, trust = head[:4]
            language = head[4] if len(head) > 4 else "EN"
            texts_ = [answers.get(k, "") for k in OPEN_ENDED]
            finished = bool(trust or texts_[4])  # left before Q9: recorded later as a partial response
            progress = 100 if finished else 10 * (5 + max((i for i, t in enumerate(texts_[:4], 1) if t), default=0))
            words = sum(len(t.split()) for t in texts_)
            duration = 70 + int(words * rng.uniform(2.5, 6.0)) + rng.randint(0, 240)
            end = begin + dt.timedelta(seconds=duration)
            recorded = end if finished else end + dt.timedelta(days=7)
            fmt = "%Y-%m-%d %H:%M:%S"
            meta = [begin.strftime(fmt), end.strftime(fmt), "IP Address", "", str(progress),
                    str(duration), "True" if finished else "False", recorded.strftime(fmt), response_id(rng),
                    "", "", "", "", "", "", "anonymous", language]
            qs = ["Yes, I agree to participate", ROLES[role], DEPARTMENTS.get(dept, dept), meetings]
            qs += texts_[:4] + [TRUST.get(trust, "")] + texts_[4:]
            writer.writerow(meta + qs + [wave])
    return len(respondents)


def write_google_forms(data: str, path: Path, seed: int) -> int:
    """Write the community-partner survey as a Google Forms CSV export (one header row)."""
    rng = random.Random(seed)
    rows = parse_blocks(data)
    header = ["Timestamp", "Your role", "Which organization are you with?",
              "How has working with the Steering Committee changed your organization's relationship with the county?",
              "What would make the partnership with the county more equitable?",
              "Anything else you want us to know?"]
    start = dt.datetime(2024, 6, 10, 9, 0)
    stamps = sorted(start + dt.timedelta(seconds=rng.randint(0, 16 * 86400)) for _ in rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for (head, answers), stamp in zip(rows, stamps):
            writer.writerow([f"{stamp.month}/{stamp.day}/{stamp.year} {stamp:%H:%M:%S}", *head,
                             answers.get("a", ""), answers.get("b", ""), answers.get("c", "")])
    return len(rows)


def write_surveymonkey(data: str, path: Path, seed: int) -> int:
    """Write the workshop feedback as a SurveyMonkey XLSX export (2 header rows, merged question cells)."""
    rng = random.Random(seed)
    rows = parse_blocks(data)
    parts = {"B": "The budget calendar", "R": "Reading the budget book", "P": "Public comment practice"}
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
            "First Name", "Last Name", "Custom Data 1"]
    row1 = meta + ["Overall, how would you rate the Budget 101 workshop?",
                   "Which parts of the workshop did you attend?", None, None,
                   "What was most useful to you?", "What should we change next time?",
                   "Is there anything about the county budget you still find confusing?"]
    row2 = [None] * len(meta) + ["Response", *parts.values(), "Open-Ended Response", "Open-Ended Response",
                                 "Open-Ended Response"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet"
    ws.append(row1)
    ws.append(row2)
    ws.merge_cells(start_row=1, start_column=len(meta) + 2, end_row=1, end_column=len(meta) + 4)
    rid = 114392817550
    for i, (head, answers) in enumerate(rows):
        rid += rng.randint(3, 900)
        begin = dt.datetime(2024, 2, 6 if i < 15 else 10, 19, 5) + dt.timedelta(minutes=rng.randint(0, 900))
        end = begin + dt.timedelta(seconds=rng.randint(90, 900))
        rating, attended = head
        ws.append([rid, 431876512, begin.strftime("%m/%d/%Y %I:%M:%S %p"), end.strftime("%m/%d/%Y %I:%M:%S %p"),
                   None, None, None, None, None, rating,
                   *[parts[k] if k in attended else None for k in parts],
                   *[answers.get(k) or None for k in ("m", "c", "x")]])
    wb.properties.creator = "SurveyMonkey"
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 2, 20, 12, 0)
    wb.save(path)
    return len(rows)


def generate(out: Path = OUT) -> str:
    """Write all four sample surveys into ``out``; returns a one-line summary."""
    out.mkdir(parents=True, exist_ok=True)
    n1 = write_qualtrics(WAVE1, "2023", dt.datetime(2023, 12, 4, 8, 0), 18,
                         out / "cop_survey_wave1_2023_qualtrics.csv", seed=2023)
    n2 = write_qualtrics(WAVE2, "2024", dt.datetime(2024, 11, 25, 8, 0), 18,
                         out / "cop_survey_wave2_2024_qualtrics.csv", seed=2024)
    n3 = write_google_forms(GOOGLE_FORMS, out / "community_partners_google_forms.csv", seed=7)
    n4 = write_surveymonkey(SURVEYMONKEY, out / "workshop_feedback_surveymonkey.xlsx", seed=11)
    return f"wrote {n1} + {n2} Qualtrics responses, {n3} Google Forms rows, {n4} SurveyMonkey rows to {out}"


if __name__ == "__main__":
    print(generate())
