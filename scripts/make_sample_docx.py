"""Regenerate the two sample .docx transcripts in data/raw/transcripts/ (fictional text kept here as data).

Run from the repo root: ``.venv/bin/python scripts/make_sample_docx.py``. Lines starting with ``# `` and
``## `` become Heading 1 / Heading 2 paragraphs; every other line is one body paragraph, a speaker
label in a bold run of its own; editorial notes after the end marker are set in italics.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document
from docx.shared import Pt

OUT = Path(__file__).resolve().parents[1] / "data" / "raw" / "transcripts"

INTERVIEW_PUBLIC_WORKS = """\
# Reflection Interview: Department Lead Perspective
## Harbor County Racial Equity Steering Committee - Community of Practice Evaluation
Interview date: July 12, 2023
Location: Harbor County Public Works, Operations Center, small conference room
Interviewed by Hannah Cole, Tidewater Evaluation Collaborative
Consent: The participant consented to recording and to the use of quotes in internal evaluation reports. Names will be removed in shareable reports.
Hannah: Thanks for making time, Greg. I know July is construction season for you.
Greg: It's always construction season. [laughs] No, I'm glad to do it. I've been wanting to talk to somebody about the committee who isn't in the committee, if that makes sense.
Hannah: It does. Let's start broad. You've been on the steering committee since it launched in February. How would you describe your role there?
Greg: Officially, I'm the Public Works representative. I manage capital planning, so sidewalks, stormwater, street lighting, some of the park connectors. In practice, I think my role has been translator. The community members ask questions like, why does the Heights get new sidewalks every five years and Eastside has gravel shoulders. And there's an answer, and the answer is technical and boring and also kind of damning. So I translate the boring part and try not to hide the damning part.
Hannah: Can you say more about the damning part?
Greg: Our capital prioritization used to run on a scoring model. Points for traffic volume, points for complaints received, points for "leveraged funding," which means a developer or a homeowners association chips in. So neighborhoods that complain a lot through our online portal and have HOAs that can co-fund, they score high. Eastside, a lot of residents don't use the portal, it's English only, and there's no HOA. So they score low. Every year. Nobody designed it to be unfair. It just is.
I showed that scoring model at the April meeting, along with the budget calendar walkthrough. And Luz Hernández said, "So the system is working exactly the way it was built." And I didn't have a comeback for that. She was right.
Hannah: How did that moment feel for you?
Greg: Uncomfortable. Useful. I went back and told my director, we should probably change the scoring model, and she said, put it in the action plan. So it's in the draft now, a new equity weighting in the capital scoring. That's the first time in seventeen years I've seen something go from a comment in a meeting to a line in a plan that actually changes how money moves.
Hannah: That's a big shift. What made it possible?
Greg: A few things. Partly that the committee has people from the neighborhoods in the room who can say what it's like to push a stroller on a gravel shoulder. That's different from reading a complaint. And partly Maria's facilitation, honestly. She's good at slowing down a technical conversation so it's not just me and two engineers nodding at each other.
But I want to be careful, because the June meeting was also Maria, and that didn't go well.
Hannah: Do you want to talk about June?
Greg: I was there. I was sitting two seats from Tom. When he said the thing about "a few bad experiences," I remember thinking, oh no. And then I didn't say anything. I looked at my laptop, which I think Luz noticed, because later she said people were looking at their laptops, and I was one of them.
I've thought about why I didn't say anything. Part of it's that Tom and I are both department guys. We sit in the same directors' meetings. There's a code, you don't call out another department in front of the public. And I think the committee is sort of half public, half internal, and I didn't know which code applied. So I defaulted to the one I know.
That's not a good answer. But it's the true one.
Hannah: What would you do differently now?
Greg: Say "hold on." That's it. I don't have to make a speech. Just "hold on, I want to stay with what Luz said." Kwame actually taught us that phrase in the repair session in August - sorry, that's after this interview's date, I mean, we've talked about it since. [laughs] Anyway, the point is, I didn't need to be brave. I needed to be slightly less comfortable.
Hannah: Let's talk about the pressure from the County Administrator. Several people have mentioned the December deadline.
Greg: Yeah. So here's the thing people on the community side don't always see. Every department head got a memo from Richard Hale's office in May. It says the action plan is a priority, every department will identify three commitments by September, and those commitments will be "incorporated into performance measures." That last part is what made every director sit up. Because now it's not just a plan, it's your evaluation.
That's good, in a way. It means the plan has teeth. But it also means directors want commitments they can definitely hit. So you get a lot of pressure to make the commitments small and safe. "We will conduct a training." "We will review our policy." Things you can check off.
And the community members want big commitments. Change the scoring model. Put a sidewalk on Alder Street. Things that cost money and take years. So the plan is getting pulled in two directions. The Administrator's memo is pulling it toward safe and measurable, and the community is pulling it toward real and expensive.
Hannah: Where do you sit in that?
Greg: In the middle, getting pulled. [laughs] My director wants something safe. I want the scoring model change, because I think it's the only thing that will actually shift where sidewalks go. We compromised. The scoring model change is in, but it's phased, pilot in fiscal year 2025 and full in 2026. That gives her cover if the pilot has problems.
I'm not sure the community members will be happy with "phased." Some of them have been waiting for sidewalks since before I was hired.
Hannah: Is there a relationship in the committee that's been important to you?
Greg: Jerome. Jerome Baptiste. At the first reflection circle he said something like, Greg gets paid to be here and I'm losing a shift. And I was a little defensive at first, but he was right. After that we started getting coffee before meetings. He tells me what people on Eastside are actually saying, and I tell him what's actually going on inside Public Works. Neither of us could get that anywhere else.
He's also the one who told me my slides had too many acronyms. "CIP" means nothing to anybody. Now I write "capital improvement plan" every time. It's a small thing but it changed how people engage with my part of the meeting.
Hannah: Has anything about the committee felt frustrating or like it's not working?
Greg: The consultant, early on. Not Theo personally, he's a good guy. But Brightline came in with a template from another county, and it didn't fit us. We don't have the same departments, we don't have the same history. There was about a month where it felt like we were arguing with the template instead of writing our plan.
And the time thing. The committee meets Tuesday evenings, which works for staff who are salaried, like me. But it's hard for hourly staff, and I noticed there are no hourly county workers on the committee. No crew members from Public Works, no custodial staff, nobody from the Sheriff's jail side. If we're talking about racial equity inside the county workforce, those are the folks who'd know.
Hannah: Have you raised that with the committee?
Greg: Not yet. I will. I'll bring it to Heather in HR first, because it's a scheduling and pay issue, and then to the committee.
Hannah: Last question. What have you learned from the committee so far that you're taking back to your work at Public Works?
Greg: That data is not neutral, which I kind of knew, but I know it differently now. I built that scoring model. Well, I inherited it and I maintained it. I thought of it as objective. It's objective about the wrong things.
And that people will forgive a lot if you're honest about what you don't know. The first time I said in a meeting, "I don't know why we did it that way, I'll find out," people relaxed. I think they were waiting for the county guy to pretend he had all the answers.
Hannah: Thank you, Greg. That's really helpful.
Greg: Thanks for asking. I'll probably think of something better to say in the car. [laughs]
END OF INTERVIEW
Interviewer's note: Participant mentions events after the interview date; the participant reviewed and lightly edited this transcript in September 2023 and added the reference to the August repair session at that time. Kept as edited, with his agreement.
"""

COCHAIRS_REFLECTION = """\
# Community Co-Chairs Reflection
## Harbor County Racial Equity Steering Committee, Year Two
Date: May 21, 2024
Location: Casa de la Comunidad, 412 Marina Street, Port Ellis (back room)
Present: Kwame Asante (co-facilitator, holding the conversation); Denise Carter, Samira Haddad and Rosa Delgado (community co-chairs, elected by community members in January 2024)
Consent: All four agreed to recording for the evaluation. Spanish phrases are kept as spoken, with translations in brackets.
Kwame: Okay, we're rolling. This is our first reflection since the three of you became co-chairs, and also the first one since the Board adopted the plan. So there's a lot to talk about. I'd like to start with the renaming, because I know that's still fresh. Who wants to take it?
Samira: I'll take it, because I'm still mad. [laughs]
So for people who will read this later: the county has had a "Diversity and Inclusion Policy" since 2016. It's two pages. It's mostly about HR training. The action plan proposes replacing it with a new policy that covers how every department makes decisions, and the committee voted in February to call it the "Racial Equity and Belonging Policy." We spent two whole meetings on the name. People told stories about why "racial" had to be in it. Because every time it's not named, it gets diluted into "equity for everyone" and then it's about nothing.
Then the draft went to the Board, and at the work session in March, two Supervisors said the word "racial" would be "divisive" and suggested "Equity for All Policy." And the County Administrator's staff came back to us and said, basically, it would help the plan pass if we took the word out.
Denise: They didn't say "basically." They said it exactly. Jasmine told us straight. I'll give her that, she didn't dress it up.
Samira: Right, Jasmine Ortiz, from Commissioner Patricia Moore's office, she's been honest with us the whole time. She said, Commissioner Moore supports "racial," but she counted votes and it's three to two against with the word in. So we had a choice. Keep the word and maybe lose the whole plan, or drop the word and pass it.
Kwame: What did the co-chairs decide?
Rosa: We didn't decide. That's the important part. We took it back to the whole committee, and especially the community members. Because that was in our agreements from the repair session, the group decides, not whoever is in the room with the Administrator. We had an emergency meeting on a Saturday. Forty people came, including some folks who hadn't been since last year.
Denise: And it was hard. I thought it would be obvious, keep the word. But people had different views. Mr. Baptiste - Jerome - said, I want the sidewalks and the stipends and the data. If the price is one word, I'll pay it. And Luz said, if we give up the word now, we'll give up everything else one word at a time.
Samira: Both of them were right. That was the hard part.
Kwame: How did it land?
Rosa: We did something I'm actually proud of. We proposed a compromise that was ours, not theirs. The policy is called the "Equity and Belonging Policy," but the first section is titled "Racial Equity" and it says, in the first sentence, that the county leads with race because racial disparities are the largest and most persistent in county data. And we tied it to the dashboard, so every year the policy has to report on racial disparities specifically.
So the word is out of the title but it's in the first sentence and it's in the accountability. Jasmine took it to Commissioner Moore, and it passed four to one in April.
Samira: And I'm still mad about the title. I voted for the compromise. I'd vote for it again. And I'm still mad. Both of those things can be true.
Kwame: They can. Let's stay with the feeling for a moment. What does it mean to you, that the title changed?
Samira: It means the people with the most power in this county looked at two years of our work and the thing they cared about was a word. Not the stop data. Not the housing commitments. A word. That tells me where their comfort is.
But it also taught me something. The Board didn't touch anything else. They were so busy with the title that the actual commitments went through untouched. The capital scoring change, Greg's thing, the stipends in the budget, the public safety working group, the story panels. Everything. I've been thinking maybe the title was the price of the content. Maybe that's how power works here.
Denise: Pues, así es. [Well, that's how it is.] Sorry, I've been hanging out with Rosa too much. [laughs]
Rosa: Bienvenida. [Welcome.]
Kwame: Let's talk about being co-chairs. You've been in the role since January. What's changed?
Denise: Everything and nothing. [laughs] What's changed is that we set the agenda now. Before, the agenda came from the Office of Equity, Maria and Dana would draft it and send it out. Now the three of us meet with Maria two weeks before, and we decide what's on it and what order. That sounds small. It's not small. Whoever sets the agenda decides what gets time, and what gets time is what gets decided.
Rosa: And the stipends went up. Seventy-five a meeting to a hundred, and co-chairs get paid for the planning meetings too. And they're paid by direct deposit now, not a check that takes six weeks. That took a whole year of Samira complaining. [laughs]
Samira: Strategic complaining. It's a skill.
Kwame: What's stayed the same?
Denise: The departments still come in with their own agendas. We set the meeting agenda, but the Sheriff's Office and the Budget Office still have their own bosses and their own timelines. We can put something on the agenda. We can't make a department director show up.
And we're still unpaid for all the hours between meetings. The phone calls, the texts at eleven at night from a member who's upset about something. Last month I probably spent twenty hours on committee stuff and got paid for two meetings.
Rosa: That's the part that worries me. Being co-chair is becoming a job, but it's not paid like a job. And then the only people who can be co-chairs are people like us, whose kids are grown or who have flexible work. We're not the people most affected. The people most affected are working two jobs and can't come to anything.
Kwame: So what would you change?
Rosa: Rotate. I think co-chairs should be one-year terms, and the next ones should be people who haven't led before, and we mentor them. And we should ask the county to pay co-chairs a monthly amount, not per meeting. Like a part-time position.
Denise: I'd add childcare at every meeting, not only the big ones. We did it for the Saturday meeting and twelve more people came. Twelve! That's not a coincidence.
Samira: And I'd change the pace. Since the plan passed, everybody wants implementation updates every two weeks. The Administrator wants a six-month progress report in October. Departments want us to review their implementation plans. It's like, we finished the marathon and somebody handed us another bib. People are tired. I'm tired. Half of the community members I talk to say they love this group and they need a break from it.
Kwame: I hear that from staff too.
Samira: Good. Maybe tired is something we have in common. [laughs]
Kwame: Let's talk about trust. It's been about fifteen months. Where is trust now?
Denise: Higher with specific people. I trust Maria. I trust Dana, as Dana said last month, "watch what I do in the budget, not what I say in the meeting," and I've watched, and she's done it. I trust Tom Reilly more than I ever thought I would, which I would not have predicted after last June. He's at every public safety working group meeting. He brought the records people. He's the one who found out the stop data was missing the Highway Patrol handoffs.
Lower with the institution. Or, not lower, but clearer. I know now that the county is not one thing. It's people, and some people will do right, and the system will still do what it does unless people push it.
Samira: For me, trust is about whether they come back to us. The renaming was a test, and what I noticed is that when the Board wanted the change, Dana's office came to us before it was decided. In 2019 they would have just changed it. So they passed that test. Barely. [laughs]
Rosa: Para mí, la confianza es... [For me, trust is...] sorry. For me, trust is whether my people feel safe to speak. And I see it in the Spanish-speaking members now. The first year, they'd only talk in the small groups with interpretation. Now Doña Carmen speaks in the full meeting, in Spanish, and the interpreter is there for everybody else. That's the room adjusting to her, instead of her adjusting to the room. That's belonging.
Kwame: That's a beautiful way to say it.
Last question. What have you learned in these fifteen months that you'll carry with you?
Denise: That repair is possible. I didn't believe it. I've seen so much harm and so little repair in my life, in schools, at work. Watching Tom and Luz work together now, I'll carry that. It's possible. It's slow and it's not guaranteed, but it's possible.
Samira: How a county actually works. The budget calendar. Who counts votes. Where the real decisions happen. I'm thinking about running for the school board, and I would never have thought that two years ago.
Rosa: That I'm a leader. [pause] Nobody ever called me that. I clean offices at night, I've done it for nineteen years, I clean the Administration Building on Thursdays. And now I sit at the table in Room 2B in the daytime. That's a different building to me now.
Kwame: Thank you. All three of you. I'll stop here.
END OF RECORDING
Note: Transcript reviewed by all three co-chairs on May 28, 2024. Rosa Delgado asked that the detail about her job remain in the internal version and be removed from any shareable report.
"""

SPEAKERS = {"Hannah", "Greg", "Kwame", "Denise", "Samira", "Rosa"}

FILES = {
    "2023-07-12_interview_public_works_lead.docx": (INTERVIEW_PUBLIC_WORKS, "Hannah Cole", dt.datetime(2023, 7, 14, 16, 5)),
    "2024-05-21_cochairs_reflection.docx": (COCHAIRS_REFLECTION, "Kwame Asante", dt.datetime(2024, 5, 28, 10, 30)),
}


def build(text: str, author: str, when: dt.datetime, path: Path) -> None:
    """Write one transcript as a Word document with a heading preamble and body paragraphs."""
    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    ended = False
    for line in text.strip().splitlines():
        if line.startswith("## "):
            doc.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            doc.add_heading(line[2:], level=1)
        else:
            para = doc.add_paragraph()
            label, sep, rest = line.partition(": ")
            if label in SPEAKERS and sep:  # label in bold as its own run, as transcription services do
                para.add_run(label + sep).bold = True
                line = rest
            para.add_run(line).italic = ended
            ended = ended or line.startswith("END OF")
    props = doc.core_properties
    props.author = props.last_modified_by = author
    props.title = text.splitlines()[0].lstrip("# ")
    props.created = props.modified = when
    doc.save(str(path))


def generate(out: Path = OUT) -> list[Path]:
    """Write both sample .docx transcripts into ``out``."""
    paths = [out / name for name in FILES]
    for path, (text, author, when) in zip(paths, FILES.values()):
        build(text, author, when, path)
    return paths


if __name__ == "__main__":
    for written in generate():
        print(f"wrote {written}")
